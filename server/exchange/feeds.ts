/**
 * Feeds of CLOSED candles for one (exchange, symbol, timeframe), all with one shape:
 * `for await (const candle of feed.candles(signal))` yields each closed candle once, ascending.
 * Aborting the signal ends the iteration cleanly (no error); `return()` from a for-await does too.
 *
 * - live:      polls `MarketData.fetchOHLCV` and yields each candle once it has closed.
 * - replay:    stored candles (through `CandleSource`, implemented over Postgres by services) from a
 *              chosen start, paced by `speed` (3600 plays one 1h candle per second; Infinity = no
 *              waiting); the iteration ENDS after the last stored candle (or `endMs`).
 * - simulated: the seeded simulated market, in real time (speed 1) or accelerated.
 */
import type { CandleSeries, OhlcvRow } from '@/server/core/candles';
import type { SimulatedMarket } from '@/server/core/market/simulated';
import { timeframeToMs } from '@/server/core/timeframe';
import type { ExchangeLogger } from './ccxt-adapter';
import { isExchangeError } from './errors';
import type { MarketData } from './ports';
import { systemClock, type Clock } from './rate-limit';

/** Stored candles; the lead implements this over the candles table. */
export interface CandleSource {
  /** Candles with open time in [startMs, endMs), ascending. */
  read(exchange: string, symbol: string, timeframe: string, startMs: number, endMs: number): Promise<CandleSeries>;
  /** Open times of the first and last stored candle, or null when none are stored. */
  range(exchange: string, symbol: string, timeframe: string): Promise<{ firstMs: number; lastMs: number } | null>;
}

export type FeedKind = 'live' | 'replay' | 'simulated';

export interface Feed {
  readonly kind: FeedKind;
  readonly exchange: string;
  readonly symbol: string;
  readonly timeframe: string;
  /** Closed candles, each once, ascending; ends on abort (and, for replay/bounded simulated, at the end). */
  candles(signal?: AbortSignal): AsyncGenerator<OhlcvRow, void, undefined>;
}

/** Sleeps unless aborted; false when the signal fired. */
async function pause(clock: Clock, ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return false;
  if (ms <= 0) return true;
  try {
    await clock.sleep(ms, signal);
    return !signal?.aborted;
  } catch (error) {
    if (signal?.aborted) return false;
    throw error;
  }
}

/**
 * Yields `source` candles paced so the candle opening at T is released when it CLOSES on the
 * accelerated clock: wall time t0 + (T + step - originMs) / speed.
 */
async function* paced(source: AsyncIterable<OhlcvRow>, originMs: number, step: number, speed: number, clock: Clock, signal?: AbortSignal): AsyncGenerator<OhlcvRow, void, undefined> {
  if (!(speed > 0)) throw new RangeError('speed must be positive');
  const wallStart = clock.now();
  for await (const candle of source) {
    if (Number.isFinite(speed)) {
      const releaseAt = wallStart + (candle[0] + step - originMs) / speed;
      if (!(await pause(clock, releaseAt - clock.now(), signal))) return;
    } else if (signal?.aborted) return;
    yield candle;
  }
}

function rowsOf(series: CandleSeries): OhlcvRow[] {
  const rows: OhlcvRow[] = [];
  for (let i = 0; i < series.length; i++) rows.push([series.time[i]!, series.open[i]!, series.high[i]!, series.low[i]!, series.close[i]!, series.volume[i]!]);
  return rows;
}

export interface ReplayFeedOptions {
  source: CandleSource;
  exchange: string;
  symbol: string;
  timeframe: string;
  /** First candle open time to play (ms UTC); candles before it are skipped. */
  startMs: number;
  /** Exclusive end; default: after the last stored candle. */
  endMs?: number;
  /** Multiplier of real time: 1 = real time, 3600 = one 1h candle per second, Infinity = as fast as read. */
  speed: number;
  /** Candles per read. */
  chunkSize?: number;
  clock?: Clock;
}

export function createReplayFeed(options: ReplayFeedOptions): Feed {
  const { source, exchange, symbol, timeframe } = options;
  const step = timeframeToMs(timeframe);
  const clock = options.clock ?? systemClock;
  const chunk = (options.chunkSize ?? 1000) * step;
  async function* stored(signal?: AbortSignal): AsyncGenerator<OhlcvRow> {
    const range = await source.range(exchange, symbol, timeframe);
    if (!range) return;
    const end = Math.min(options.endMs ?? Infinity, range.lastMs + step);
    let cursor = Math.max(options.startMs, range.firstMs);
    while (cursor < end && !signal?.aborted) {
      const to = Math.min(end, cursor + chunk);
      yield* rowsOf(await source.read(exchange, symbol, timeframe, cursor, to));
      cursor = to;
    }
  }
  return {
    kind: 'replay',
    exchange,
    symbol,
    timeframe,
    candles: (signal) => paced(stored(signal), Math.ceil(options.startMs / step) * step, step, options.speed, clock, signal),
  };
}

export interface SimulatedFeedOptions {
  market: SimulatedMarket;
  /** Label of the venue, e.g. "simulated". */
  exchange?: string;
  symbol: string;
  /** First candle open time; default: the current candle (so the first one arrives when it closes). */
  startMs?: number;
  endMs?: number;
  /** 1 = real time; 60 = a 1m candle per second; Infinity = no waiting. */
  speed?: number;
  clock?: Clock;
}

export function createSimulatedFeed(options: SimulatedFeedOptions): Feed {
  const { market, symbol } = options;
  const timeframe = market.config.timeframe;
  const step = timeframeToMs(timeframe);
  const clock = options.clock ?? systemClock;
  const speed = options.speed ?? 1;
  async function* generated(startMs: number, signal?: AbortSignal): AsyncGenerator<OhlcvRow> {
    const end = options.endMs ?? Infinity;
    let cursor = startMs;
    while (cursor < end && !signal?.aborted) {
      const to = Math.min(end, cursor + 500 * step);
      yield* market.candles(cursor, to);
      cursor = to;
    }
  }
  return {
    kind: 'simulated',
    exchange: options.exchange ?? 'simulated',
    symbol,
    timeframe,
    candles: (signal) => {
      const startMs = Math.max(market.config.originMs, Math.floor((options.startMs ?? clock.now()) / step) * step);
      return paced(generated(startMs, signal), startMs, step, speed, clock, signal);
    },
  };
}

export interface LiveFeedOptions {
  market: MarketData;
  symbol: string;
  timeframe: string;
  /** Also yield the closed candles from this open time on (catch-up); default: only those closing after start. */
  sinceMs?: number;
  /** Poll interval; default one tenth of the timeframe, between 2 s and 60 s. */
  pollMs?: number;
  clock?: Clock;
  logger?: ExchangeLogger;
}

export function createLiveFeed(options: LiveFeedOptions): Feed {
  const { market, symbol, timeframe } = options;
  const step = timeframeToMs(timeframe);
  const clock = options.clock ?? systemClock;
  const pollMs = options.pollMs ?? Math.min(60_000, Math.max(2_000, step / 10));
  return {
    kind: 'live',
    exchange: market.exchangeId,
    symbol,
    timeframe,
    async *candles(signal) {
      // Open time of the last candle already yielded (or deemed seen).
      let lastYielded = options.sinceMs !== undefined ? Math.ceil(options.sinceMs / step) * step - step : Math.floor(clock.now() / step) * step - step;
      while (!signal?.aborted) {
        let rows: OhlcvRow[] = [];
        try {
          rows = await market.fetchOHLCV(symbol, timeframe, lastYielded + step, 1000);
        } catch (error) {
          // The adapter already retried; a still-retryable failure just waits for the next poll.
          if (!isExchangeError(error) || error.kind !== 'retryable') throw error;
          options.logger?.warn({ exchangeId: market.exchangeId, symbol, timeframe, kind: error.kind }, 'live feed poll failed');
        }
        const now = clock.now();
        let caughtUp = true;
        for (const row of rows) {
          if (row[0] <= lastYielded) continue;
          if (row[0] + step > now) break; // still forming
          if (signal?.aborted) return;
          lastYielded = row[0];
          yield row;
        }
        if (rows.length >= 1000) caughtUp = false; // more history waiting: poll again at once
        if (caughtUp && !(await pause(clock, pollMs, signal))) return;
      }
    },
  };
}
