/**
 * A walk-forward over a pair-list strategy (docs/robustness.md, "Pair lists"): a window's candles are one series per
 * pair (list order), every candidate and every chosen cell a portfolio backtest over them — the engine and capital
 * rules a backtest of the strategy runs (runPortfolioBacktest), so a fold's figures are that backtest's, number for
 * number. The window's bars are the portfolio's steps: the union of its pairs' bar times.
 */
import type { Db } from '@/db/client';
import type { CapitalRules } from '@/db/schema/strategies';
import { runPortfolioBacktest, type BacktestConfig, type PortfolioResult } from '@/server/core/backtest';
import { sliceByTime, type CandleSeries } from '@/server/core/candles';
import { createStrategy } from '@/server/core/strategies';
import { runPortfolioSweep } from '@/server/services/backtests/portfolio-sweep';
import { loadPairCandlesOrFail, portfolioConfig } from '@/server/services/backtests/run-candles';
import type { SweepComboResult, SweepPoolOptions } from '@/server/services/backtests/sweep-pool';

/** A pair list's candles over one window, with the capital rules its portfolio runs with. */
export interface PairListWindow {
  readonly symbols: readonly string[];
  /** each pair's candles, in list order */
  readonly series: readonly CandleSeries[];
  readonly capital: CapitalRules;
}

export function isPairListWindow(candles: CandleSeries | PairListWindow): candles is PairListWindow {
  return 'symbols' in candles;
}

/** Every pair's candles over [start, end) (one read per pair; a pair without any is a failure naming it). */
export async function loadPairListWindow(
  db: Db,
  run: { exchange: string; timeframe: string; symbols: readonly string[]; capital: CapitalRules },
  startTime: number,
  endTime: number,
): Promise<PairListWindow> {
  return { symbols: run.symbols, series: await loadPairCandlesOrFail(db, { ...run, startTime, endTime }), capital: run.capital };
}

/** The pairs' candles with start ≤ time < end (views, no copy). */
export function slicePairList(window: PairListWindow, start: number, end: number): PairListWindow {
  return { ...window, series: window.series.map((s) => sliceByTime(s, start, end)) };
}

/** The window's steps: the union of its pairs' bar times, ascending (the portfolio engine's steps). */
export function pairListSteps(window: PairListWindow): Float64Array {
  const times = new Set<number>();
  for (const s of window.series) for (const t of s.time) times.add(t);
  return Float64Array.from(times).sort();
}

/** One cell's portfolio backtest over the window. */
export function runPairList(window: PairListWindow, strategyType: string, params: Record<string, unknown>, config: BacktestConfig): PortfolioResult {
  const pairs = window.symbols.map((symbol, p) => ({ symbol, series: window.series[p]!, strategy: createStrategy(strategyType, params) }));
  return runPortfolioBacktest(pairs, portfolioConfig(config, window.capital));
}

/** The candidates' portfolio backtests over the window (portfolio-sweep.ts), in order. */
export function runPairListCandidates(
  window: PairListWindow,
  strategyType: string,
  combos: ReadonlyArray<Record<string, unknown>>,
  config: BacktestConfig,
  options: Pick<SweepPoolOptions, 'signal' | 'onProgress'>,
): Promise<SweepComboResult[]> {
  return runPortfolioSweep({ symbols: window.symbols, series: window.series, strategyType, combos, config: portfolioConfig(config, window.capital) }, options);
}
