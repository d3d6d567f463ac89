/**
 * Timeframes as ccxt names them ("1m", "5m", "1h", "4h", "1d", "1w") and their length in ms.
 * Months are not supported: they have no fixed length, and candles must align to a fixed grid.
 */
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

export const TIMEFRAME_PATTERN = /^([1-9][0-9]{0,2})([mhdw])$/;

/** Length of one candle of `timeframe` in milliseconds; throws on an unknown timeframe. */
export function timeframeToMs(timeframe: string): number {
  const match = TIMEFRAME_PATTERN.exec(timeframe);
  if (!match) throw new RangeError(`unknown timeframe "${timeframe}" (expected e.g. 1m, 5m, 1h, 4h, 1d, 1w)`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/**
 * The timeframes a strategy, an import or an upload may name: the ones exchanges publish candles in
 * (ccxt's common set). The pattern above would also read "7h" or "13m", which no exchange serves.
 */
export const TIMEFRAMES = ['1m', '3m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '8h', '12h', '1d', '3d', '1w'] as const;
export type Timeframe = (typeof TIMEFRAMES)[number];
const KNOWN_TIMEFRAMES: ReadonlySet<string> = new Set(TIMEFRAMES);

/** Whether `value` is one of TIMEFRAMES. */
export function isTimeframe(value: string): value is Timeframe {
  return KNOWN_TIMEFRAMES.has(value);
}

export const TIMEFRAME_MESSAGE = `must be one of ${TIMEFRAMES.join(', ')}`;

/**
 * Whether a candle open time (ms since epoch, UTC) sits on the timeframe's grid.
 * Weekly candles open on Monday 00:00 UTC (as Binance's do); the epoch was a Thursday.
 */
export function isAlignedToTimeframe(timeMs: number, timeframe: string): boolean {
  const step = timeframeToMs(timeframe);
  const offset = timeframe.endsWith('w') ? 4 * UNIT_MS.d : 0;
  return Number.isInteger(timeMs) && (((timeMs - offset) % step) + step) % step === 0;
}
