/**
 * What a run reads before its engine starts: its candles (one market, or every pair of a pair list), with the
 * failure a user can act on when they are missing, and a pair list's engine configuration. Shared by the backtest,
 * sweep and robustness jobs.
 */
import type { Db } from '@/db/client';
import type { CapitalRules } from '@/db/schema/strategies';
import type { BacktestConfig, PortfolioConfig } from '@/server/core/backtest';
import type { CandleSeries } from '@/server/core/candles';
import { msToIso } from '@/server/core/time';
import { timeframeToMs } from '@/server/core/timeframe';
import { readCandleSeries } from '@/server/services/market-data/candles';

/** A failure the user can act on; its message is stored on the row as is. */
export class BacktestRunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BacktestRunError';
  }
}

/** Pre-sizes the read's columns for a range up to this many bars (a gap-free range then needs no regrowth). */
const PRESIZE_MAX_BARS = 1 << 21;

export async function loadCandlesOrFail(
  db: Db,
  key: { exchange: string; symbol: string; timeframe: string },
  startMs: number,
  endMs: number,
  options: { packed?: boolean } = {},
): Promise<CandleSeries> {
  const bars = Math.ceil((endMs - startMs) / timeframeToMs(key.timeframe));
  const series = await readCandleSeries(db, key, startMs, endMs, {
    expectedCount: Number.isFinite(bars) ? Math.max(16, Math.min(bars, PRESIZE_MAX_BARS)) : undefined,
    packed: options.packed,
  });
  if (series.length === 0) {
    throw new BacktestRunError(`no ${key.exchange} ${key.symbol} ${key.timeframe} candles between ${msToIso(startMs)} and ${msToIso(endMs)}`);
  }
  return series;
}

/** A pair list's series read at once (each read holds one pool connection while it runs). */
const PAIR_READ_CONCURRENCY = 4;

/**
 * Every pair's candles of a pair-list run, in list order. The reads overlap (PAIR_READ_CONCURRENCY in flight, over
 * the pool's connections; no transaction held; each reader takes the next pair as soon as its read is done, so one
 * slow read does not hold the others back): the database packs one series while the worker unpacks another.
 */
export async function loadPairCandlesOrFail(
  db: Db,
  run: { exchange: string; timeframe: string; symbols: readonly string[]; startTime: number; endTime: number },
): Promise<CandleSeries[]> {
  const series = new Array<CandleSeries>(run.symbols.length);
  let next = 0;
  const reader = async () => {
    while (next < run.symbols.length) {
      const p = next++;
      try {
        series[p] = await loadCandlesOrFail(db, { exchange: run.exchange, symbol: run.symbols[p]!, timeframe: run.timeframe }, run.startTime, run.endTime, {
          packed: true, // the reads overlap each other: the one that costs least CPU in all (candles.ts)
        });
      } catch (error) {
        next = run.symbols.length; // the run fails: the other readers take no further pair
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PAIR_READ_CONCURRENCY, run.symbols.length) }, reader));
  return series;
}

/** A pair-list run's engine configuration: the run's costs and the capital rules it was requested with. */
export function portfolioConfig(config: BacktestConfig, capital: CapitalRules): PortfolioConfig {
  return { ...config, maxOpenPositions: capital.maxOpenPositions, stake: capital.stake, priority: capital.priority };
}
