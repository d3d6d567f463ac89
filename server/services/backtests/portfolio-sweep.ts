/**
 * A sweep over a pair-list strategy (docs/backtesting.md, "Parameter sweeps" / "Pair lists"): every combination is
 * a portfolio backtest — the very engine and configuration a backtest of the strategy runs (runPortfolioBacktest,
 * one strategy instance per pair, the sweep's capital rules) — so a cell's metrics are, number for number, those of
 * the backtest with that cell's parameters. The cells run one after another on the job's thread (the sweep thread
 * pool maps one series; a pair list has one per pair). Only metrics are kept, as for any sweep.
 */
import { runPortfolioBacktest, type PortfolioConfig } from '@/server/core/backtest';
import { BacktestCancelledError } from '@/server/core/backtest/types';
import type { CandleSeries } from '@/server/core/candles';
import { createStrategy } from '@/server/core/strategies';
import type { SweepComboResult, SweepPoolOptions } from './sweep-pool';

export interface PortfolioSweepJob {
  readonly symbols: readonly string[];
  /** each pair's candles, in list order */
  readonly series: readonly CandleSeries[];
  readonly strategyType: string;
  readonly combos: ReadonlyArray<Readonly<Record<string, unknown>>>;
  readonly config: PortfolioConfig;
}

/** Runs every combination (grid order); a cell that fails keeps its error. Aborting rejects with BacktestCancelledError. */
export async function runPortfolioSweep(job: PortfolioSweepJob, options: Pick<SweepPoolOptions, 'signal' | 'onProgress'> = {}): Promise<SweepComboResult[]> {
  const { signal, onProgress } = options;
  const shouldCancel = () => signal?.aborted === true;
  const results: SweepComboResult[] = [];
  for (let index = 0; index < job.combos.length; index++) {
    if (shouldCancel()) throw new BacktestCancelledError();
    const params = job.combos[index]!;
    try {
      const pairs = job.symbols.map((symbol, p) => ({ symbol, series: job.series[p]!, strategy: createStrategy(job.strategyType, params) }));
      results.push({ index, params, metrics: runPortfolioBacktest(pairs, job.config, { shouldCancel }).metrics, error: null });
    } catch (error) {
      if (error instanceof BacktestCancelledError) throw error;
      results.push({ index, params, metrics: null, error: error instanceof Error ? error.message : String(error) });
    }
    onProgress?.(index + 1, job.combos.length);
    // Between cells, the job's lease renewals and progress writes get their turn on the event loop.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return results;
}
