/**
 * Walk-forward optimization against issue #15's ceiling (docs/robustness.md): 5 folds × 200 TPE trials over two
 * years of 1m candles (about 1.05M bars), target ≤ 60 s on one worker (its sweep thread pool, every core). Each fold
 * runs exactly what the fold job runs (searchFold: the search through the sweep pool, then the out-of-sample backtest),
 * then the out-of-sample runs are stitched as the last fold job does; the candles are synthetic (no database read).
 * --quick: 3 folds × 12 trials over 60,000 bars. Correctness check: one thread and two give the same bytes.
 */
import { sliceByTime, type CandleSeries } from '../server/core/candles';
import { runBacktest } from '../server/core/backtest/engine';
import { planFolds, stitchOutOfSample, walkForwardEfficiency } from '../server/core/robustness/walk-forward';
import { createStrategy } from '../server/core/strategies/registry';
import { searchFold, type FoldSearchSpec } from '../server/services/robustness/fold-search';
import type { FoldResult } from '../server/services/robustness/walk-forward-row';
import { sweepPoolCandidates } from '../server/services/robustness/walk-forward-job';
import type { CheckResult } from './lib/parity';
import { syntheticSeries } from './lib/series';

export const WALK_FORWARD_TARGET_MS = 60_000;
const MINUTE_MS = 60_000;

export interface WalkForwardBenchResult {
  bars: number;
  folds: number;
  trials: number;
  /** one run, default threads (ms) */
  ms: number;
  /** in-sample bar-steps per second over every trial */
  barsPerSecond: number;
}

async function walkForward(series: CandleSeries, folds: number, spec: FoldSearchSpec, threads: number | undefined) {
  const windows = planFolds(series.time[0]!, series.time[series.length - 1]! + MINUTE_MS, MINUTE_MS, folds, false);
  const results: FoldResult[] = [];
  for (let k = 0; k < windows.length; k++) {
    const w = windows[k]!;
    results.push(
      await searchFold(
        sliceByTime(series, w.inSample.start, w.inSample.end),
        sliceByTime(series, w.outOfSample.start, w.outOfSample.end),
        spec,
        k,
        sweepPoolCandidates(threads),
        { signal: new AbortController().signal, onProgress: () => {} },
      ),
    );
  }
  const parts = windows.map((w, k) => {
    const part = sliceByTime(series, w.outOfSample.start, w.outOfSample.end);
    const params = results[k]!.params;
    if (!params) return { series: part, run: null };
    const run = runBacktest(part, createStrategy(spec.strategyType, params), spec.config);
    return { series: part, run: { equity: run.equity, trades: run.trades, metrics: run.metrics } };
  });
  const stitched = stitchOutOfSample(parts, spec.config.initialCapital, MINUTE_MS);
  const efficiency = walkForwardEfficiency(
    stitched.metrics.cagrPct,
    results.filter((r) => r.inSampleMetrics).map((r) => r.inSampleMetrics!.cagrPct),
  );
  return { windows, results, stitched, efficiency };
}

export async function benchWalkForward(options: {
  quick: boolean;
  log: (line: string) => void;
}): Promise<{ result: WalkForwardBenchResult; checks: CheckResult[] }> {
  const { quick, log } = options;
  const bars = quick ? 60_000 : 1_051_200;
  const folds = quick ? 3 : 5;
  const trials = quick ? 12 : 200;
  const series = syntheticSeries(bars, 19);
  const spec: FoldSearchSpec = {
    strategyType: 'sma_crossover',
    baseParams: { fastPeriod: 10, slowPeriod: 50 },
    space: { fastPeriod: { min: 2, max: 60, step: 1 }, slowPeriod: { min: 20, max: 400, step: 5 } },
    search: { method: 'tpe', trials, seed: 3 },
    objective: { objective: 'sharpe', drawdownWeight: 1, minTrades: 5 },
    config: { initialCapital: 10_000, feeRate: 0.001, slippage: 0.0005, timeframe: '1m' },
  };
  const started = performance.now();
  const run = await walkForward(series, folds, spec, undefined);
  const ms = performance.now() - started;
  const steps = run.results.reduce((n, r) => n + r.evaluated * r.inSampleBars, 0);
  const checks: CheckResult[] = [];
  if (quick) {
    const single = await walkForward(series, folds, spec, 1);
    const bytes = (r: typeof run) => JSON.stringify({ folds: r.results, metrics: r.stitched.metrics, equity: r.stitched.equity, efficiency: r.efficiency });
    checks.push({ name: 'walk-forward: one thread and two give the same bytes', ok: bytes(single) === bytes(run), detail: `${bytes(run).length} bytes` });
  }
  checks.push({
    name: 'walk-forward: every fold ran its trials and chose a cell',
    ok: run.results.every((r) => r.trials === trials && r.params !== null),
    detail: run.results.map((r) => `${r.trials} trials, ${r.evaluated} distinct, chose ${JSON.stringify(r.chosen)}`).join('; '),
  });
  const result = { bars, folds, trials, ms: Math.round(ms), barsPerSecond: Math.round(steps / (ms / 1000)) };
  log(
    `  walk-forward ${folds} folds × ${trials} TPE trials over ${bars.toLocaleString('en')} 1m bars: ${result.ms} ms (${(result.barsPerSecond / 1e6).toFixed(1)}M in-sample bars/s; target ≤ ${WALK_FORWARD_TARGET_MS} ms at 5 × 200 × 1.05M)`,
  );
  return { result, checks };
}
