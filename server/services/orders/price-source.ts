/**
 * Where paper orders get their prices. Injected into the paper exchange so tests control the market:
 * - stored candles: the most recent series of the symbol in the `candles` table (any exchange; the
 *   smallest timeframe of the latest data); the latest price is the last candle's close.
 * - the simulated market (server/core/market): a seeded random walk per symbol, advancing with the clock.
 * `defaultPaperPriceSource` uses stored candles when the symbol has any, else the simulated market.
 */
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import type { OhlcvRow } from '@/server/core/candles';
import { createSimulatedMarket, type SimulatedMarket } from '@/server/core/market/simulated';
import { timeframeToMs } from '@/server/core/timeframe';
import { readCandleSeries } from '@/server/services/market-data/candles';

export interface PriceQuote {
  /** Quote per base. */
  price: number;
  /** When that price was observed (a candle's close time), ms UTC. */
  timeMs: number;
  /** Which feed, for the UI and the order row, e.g. "simulated market" or "stored candles (binance 1h)". */
  source: string;
  /** When a fill at this price happens, if not now (a replayed deployment fills at its feed's time). */
  fillTimeMs?: number;
}

export interface PaperPriceSource {
  /** The latest price of the symbol, or null when the feed has none. */
  latest(symbol: string): Promise<PriceQuote | null>;
  /** Closed candles with open time in [sinceMs, untilMs), ascending (resting orders match against them). */
  candlesSince(symbol: string, sinceMs: number, untilMs: number): Promise<OhlcvRow[]>;
}

export type Clock = () => number;

// ---- simulated market ----------------------------------------------------------------------------

const SIM_TIMEFRAME = '1m';
const SIM_ORIGIN_MS = Date.UTC(2025, 0, 1);
const START_PRICES: Record<string, number> = { BTC: 60_000, ETH: 3_000, SOL: 150, BNB: 600 };

function seedOf(symbol: string): number {
  let hash = 2166136261;
  for (const char of symbol) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619) >>> 0;
  return hash;
}

const simulatedMarkets = new Map<string, SimulatedMarket>();

function simulatedMarket(symbol: string): SimulatedMarket {
  let market = simulatedMarkets.get(symbol);
  if (!market) {
    const base = symbol.split('/')[0] ?? '';
    market = createSimulatedMarket({ seed: seedOf(symbol), timeframe: SIM_TIMEFRAME, originMs: SIM_ORIGIN_MS, startPrice: START_PRICES[base] ?? 100 });
    simulatedMarkets.set(symbol, market);
  }
  return market;
}

/**
 * The last closed candle asked of each symbol's simulated market. The market walks forward from its origin and
 * starts over when asked for a candle before its cursor, which costs seconds of CPU for a candle near now: without
 * this, every paper order in the same minute walked the whole history again (and a burst of orders stalled the
 * process for seconds each).
 */
const lastClosed = new Map<string, { open: number; candle: OhlcvRow | undefined }>();

/** The simulated market: every symbol has a price; it moves one candle per minute of wall time. */
export function simulatedPriceSource(clock: Clock = Date.now): PaperPriceSource {
  const barMs = timeframeToMs(SIM_TIMEFRAME);
  return {
    async latest(symbol) {
      const now = clock();
      const lastOpen = Math.floor(now / barMs) * barMs - barMs;
      let known = lastClosed.get(symbol);
      if (known?.open !== lastOpen) {
        known = { open: lastOpen, candle: simulatedMarket(symbol).candles(lastOpen, lastOpen + barMs)[0] };
        lastClosed.set(symbol, known);
      }
      const candle = known.candle;
      return candle ? { price: candle[4], timeMs: candle[0] + barMs, source: 'simulated market' } : null;
    },
    async candlesSince(symbol, sinceMs, untilMs) {
      const end = Math.min(untilMs, Math.floor(clock() / barMs) * barMs);
      if (end <= sinceMs) return [];
      return simulatedMarket(symbol).candles(Math.ceil(sinceMs / barMs) * barMs, end);
    },
  };
}

// ---- stored candles -------------------------------------------------------------------------------

interface SeriesChoice {
  exchange: string;
  timeframe: string;
  lastTime: number;
}

async function latestSeries(db: DbOrTx, symbol: string): Promise<SeriesChoice | null> {
  const rows = await db.execute<{ exchange: string; timeframe: string; last_time: string }>(sql`
    select exchange, timeframe, max(time) as last_time from candles where symbol = ${symbol}
    group by exchange, timeframe order by max(time) desc limit 8`);
  if (rows.length === 0) return null;
  // Among the series with the latest data, the finest timeframe.
  const latest = Math.max(...rows.map((r) => Number(r.last_time) + timeframeToMs(r.timeframe)));
  const best = rows
    .filter((r) => Number(r.last_time) + timeframeToMs(r.timeframe) === latest)
    .sort((a, b) => timeframeToMs(a.timeframe) - timeframeToMs(b.timeframe))[0]!;
  return { exchange: best.exchange, timeframe: best.timeframe, lastTime: Number(best.last_time) };
}

/** Stored candles only; null prices for symbols without candles. */
export function storedCandlesPriceSource(db: DbOrTx): PaperPriceSource {
  return {
    async latest(symbol) {
      const series = await latestSeries(db, symbol);
      if (!series) return null;
      const candles = await readCandleSeries(db, { exchange: series.exchange, symbol, timeframe: series.timeframe }, series.lastTime, series.lastTime + 1);
      if (candles.close.length === 0) return null;
      return {
        price: candles.close[0]!,
        timeMs: series.lastTime + timeframeToMs(series.timeframe),
        source: `stored candles (${series.exchange} ${series.timeframe})`,
      };
    },
    async candlesSince(symbol, sinceMs, untilMs) {
      const series = await latestSeries(db, symbol);
      if (!series) return [];
      const barMs = timeframeToMs(series.timeframe);
      const candles = await readCandleSeries(db, { exchange: series.exchange, symbol, timeframe: series.timeframe }, sinceMs, untilMs);
      const rows: OhlcvRow[] = [];
      for (let i = 0; i < candles.time.length; i++) {
        // Only candles that opened at or after sinceMs and have closed by untilMs.
        if (candles.time[i]! + barMs > untilMs) break;
        rows.push([candles.time[i]!, candles.open[i]!, candles.high[i]!, candles.low[i]!, candles.close[i]!, candles.volume[i]!]);
      }
      return rows;
    },
  };
}

/** Stored candles for symbols that have them, the simulated market for the rest. */
export function defaultPaperPriceSource(db: DbOrTx, clock: Clock = Date.now): PaperPriceSource {
  const stored = storedCandlesPriceSource(db);
  const simulated = simulatedPriceSource(clock);
  return {
    async latest(symbol) {
      return (await stored.latest(symbol)) ?? simulated.latest(symbol);
    },
    async candlesSince(symbol, sinceMs, untilMs) {
      return (await latestSeries(db, symbol)) ? stored.candlesSince(symbol, sinceMs, untilMs) : simulated.candlesSince(symbol, sinceMs, untilMs);
    },
  };
}
