/**
 * One fold's search (docs/robustness.md, "Walk-forward optimization"): its in-sample window searched through the
 * sweep kernels, the chosen cell backtested out of sample. Pure apart from the candidates' runner; the fold job
 * (walk-forward-fold.ts) and the bench run it.
 */
import { randomUUID } from 'node:crypto';
import { annualisationFactor, runBacktest } from '@/server/core/backtest';
import type { BacktestConfig, BacktestMetrics, BacktestTrade } from '@/server/core/backtest/types';
import { allocateSharedSeries, type CandleSeries } from '@/server/core/candles';
import { deflatedSharpeOfChosen } from '@/server/core/robustness/significance';
import {
  bestTrial,
  buildAxes,
  cellKey,
  cellParams,
  neighbourhood,
  objectiveScore,
  WalkForwardSearch,
  type ObjectiveOptions,
  type ScoredTrial,
  type SearchMethod,
  type SearchSpace,
} from '@/server/core/robustness/walk-forward';
import { createStrategy, getStrategyDefinition } from '@/server/core/strategies';
import { paramsSchema } from '@/server/core/strategies/params';
import { timeframeToMs } from '@/server/core/timeframe';
import type { FoldStrategy } from './script-folds';
import { isPairListWindow, pairListSteps, runPairList, runPairListCandidates, type PairListWindow } from './pair-list-folds';
import type { FoldResult } from './walk-forward-row';

/** A window's candles: one market's series, or a pair list's (pair-list-folds.ts). */
export type FoldCandles = CandleSeries | PairListWindow;

/** Runs a batch's parameter sets over the in-sample candles; the worker passes the sweep thread pool (sweep-job.ts). */
export type RunCandidates = ((
  job: { series: CandleSeries; strategyType: string; combos: Array<Record<string, unknown>>; config: BacktestConfig; seriesKey?: string },
  options: { signal: AbortSignal; onProgress: (done: number, total: number) => void },
) => Promise<Array<{ metrics: BacktestMetrics | null }>>) & {
  /** The search is over: what the runner keeps for `seriesKey` (the pool threads' series and columns) may go. */
  releaseSeries?: (seriesKey: string) => void;
};

/** What one fold searches: the strategy, its base params, the space, the search and the objective (a stored spec). */
export interface FoldSearchSpec {
  strategyType: string;
  baseParams: Record<string, unknown>;
  space: SearchSpace;
  search: { method: SearchMethod; trials: number; seed: number };
  objective: ObjectiveOptions;
  config: BacktestConfig;
  /** a script version's schema and backtest (script-folds.ts); absent: the built-in `strategyType` */
  strategy?: FoldStrategy;
}

type Candidates = (
  combos: Array<Record<string, unknown>>,
  options: { signal: AbortSignal; onProgress: (done: number) => void },
) => Promise<Array<{ metrics: BacktestMetrics | null }>>;

/**
 * The batches' runner over the in-sample candles: a pair list's portfolio backtests, else `runCandidates` over one
 * shared copy; `release` once the search is over.
 */
function candidatesOver(inSample: FoldCandles, spec: FoldSearchSpec, runCandidates: RunCandidates): { run: Candidates; release: () => void } {
  if (isPairListWindow(inSample))
    return { run: (combos, options) => runPairListCandidates(inSample, spec.strategyType, combos, spec.config, options), release: () => {} };
  // One shared copy of the in-sample candles for every batch (the sweep pool maps it instead of copying per batch).
  const shared = allocateSharedSeries(inSample.length, true).series;
  for (const column of ['time', 'open', 'high', 'low', 'close', 'volume'] as const) shared[column].set(inSample[column]);
  // Every batch runs over that one copy: the pool's threads keep its indicator columns from batch to batch.
  const seriesKey = randomUUID();
  return {
    run: (combos, options) => runCandidates({ series: shared, strategyType: spec.strategyType, combos, config: spec.config, seriesKey }, options),
    release: () => runCandidates.releaseSeries?.(seriesKey),
  };
}

/** One cell's backtest over a window: a pair list's portfolio backtest, a script's in its sandbox, or the built-in engine. */
export async function backtestCell(
  candles: FoldCandles,
  spec: Pick<FoldSearchSpec, 'strategyType' | 'config' | 'strategy'>,
  params: Record<string, unknown>,
): Promise<{ time: Float64Array; equity: Float64Array; trades: readonly BacktestTrade[]; metrics: BacktestMetrics }> {
  if (isPairListWindow(candles)) return runPairList(candles, spec.strategyType, params, spec.config);
  const run = spec.strategy
    ? await spec.strategy.backtest(candles, params, spec.config)
    : runBacktest(candles, createStrategy(spec.strategyType, params), spec.config);
  return { time: candles.time, equity: run.equity, trades: run.trades, metrics: run.metrics };
}

/** A window's bar times: a pair list's are the portfolio's steps. */
export function windowTimes(candles: FoldCandles): Float64Array {
  return isPairListWindow(candles) ? pairListSteps(candles) : candles.time;
}

/**
 * Fold `fold`'s search over its in-sample candles (batches from WalkForwardSearch, each distinct cell run once through
 * `runCandidates`, a repeated proposal reusing its score) and the out-of-sample backtest of the best cell. Pure apart
 * from `runCandidates` and `onProgress` (trials done, total); the bench runs it too.
 */
export async function searchFold(
  inSample: FoldCandles,
  outOfSample: FoldCandles,
  spec: FoldSearchSpec,
  fold: number,
  runCandidates: RunCandidates,
  options: { signal: AbortSignal; onProgress: (done: number, total: number) => void },
): Promise<FoldResult> {
  const definition = spec.strategy?.definition ?? getStrategyDefinition(spec.strategyType);
  const schema = paramsSchema(definition);
  const axes = buildAxes(definition, spec.space, spec.baseParams);
  const search = new WalkForwardSearch(axes, spec.search.method, spec.search.trials, spec.search.seed, fold);
  const candidates = candidatesOver(inSample, spec, runCandidates);
  const evaluated = new Map<string, { score: number | null; params: Record<string, unknown> | null; metrics: BacktestMetrics | null }>();
  const trials: ScoredTrial[] = [];
  try {
    for (let batch = search.nextBatch(); batch; batch = search.nextBatch()) {
      const toRun: Array<{ key: string; params: Record<string, unknown> }> = [];
      const queued = new Set<string>();
      for (const cell of batch) {
        const key = cellKey(cell);
        if (evaluated.has(key) || queued.has(key)) continue;
        const parsed = schema.safeParse(cellParams(axes, cell, spec.baseParams));
        if (parsed.success) {
          toRun.push({ key, params: parsed.data as Record<string, unknown> });
          queued.add(key);
        } else evaluated.set(key, { score: null, params: null, metrics: null });
      }
      const done = trials.length;
      const results = toRun.length
        ? await candidates.run(
            toRun.map((r) => r.params),
            { signal: options.signal, onProgress: (finished) => options.onProgress(done + Math.round((finished / toRun.length) * batch.length), search.total) },
          )
        : [];
      toRun.forEach((r, i) => {
        const metrics = results[i]?.metrics ?? null;
        evaluated.set(r.key, { score: objectiveScore(metrics, spec.objective), params: r.params, metrics });
      });
      const scored = batch.map((cell) => ({ cell, score: evaluated.get(cellKey(cell))!.score }));
      search.report(scored);
      trials.push(...scored);
      options.onProgress(trials.length, search.total);
    }
  } finally {
    candidates.release();
  }

  const feasible = [...evaluated.values()].filter((e) => e.score !== null).length;
  const base = {
    trials: trials.length,
    evaluated: evaluated.size,
    feasible,
    inSampleBars: windowTimes(inSample).length,
    outOfSampleBars: windowTimes(outOfSample).length,
  };
  const best = bestTrial(trials);
  if (best < 0)
    return { ...base, params: null, chosen: null, objective: null, inSampleMetrics: null, outOfSampleMetrics: null, neighbourhood: null, deflatedSharpe: null };
  const bestCell = trials[best]!.cell;
  const chosen = evaluated.get(cellKey(bestCell))!;
  // The chosen cell out of sample, and its in-sample run again for its bar returns (the search kept only metrics).
  const oos = await backtestCell(outOfSample, spec, chosen.params!);
  const inSampleRun = await backtestCell(inSample, spec, chosen.params!);
  const tried = [...evaluated.values()].flatMap((e) => (e.metrics ? [e.metrics.sharpeRatio] : []));
  const annualise = annualisationFactor(timeframeToMs(spec.config.timeframe));
  return {
    ...base,
    params: chosen.params,
    chosen: Object.fromEntries(axes.map((a, i) => [a.name, a.values[bestCell[i]!]])),
    objective: chosen.score,
    inSampleMetrics: chosen.metrics,
    outOfSampleMetrics: oos.metrics,
    neighbourhood: neighbourhood(axes, trials, bestCell),
    deflatedSharpe: deflatedSharpeOfChosen(tried, annualise, inSampleRun.equity),
  };
}
