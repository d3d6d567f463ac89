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

export function isTimeframe(value: string): boolean {
  return TIMEFRAME_PATTERN.test(value);
}

/**
 * Whether a candle open time (ms since epoch, UTC) sits on the timeframe's grid.
 * Weekly candles open on Monday 00:00 UTC (as Binance's do); the epoch was a Thursday.
 */
export function isAlignedToTimeframe(timeMs: number, timeframe: string): boolean {
  const step = timeframeToMs(timeframe);
  const offset = timeframe.endsWith('w') ? 4 * UNIT_MS.d : 0;
  return Number.isInteger(timeMs) && (((timeMs - offset) % step) + step) % step === 0;
}
