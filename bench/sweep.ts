/**
 * Sweep throughput: C combinations of sma_crossover over one series, run (a) one after another on the main
 * thread with the plain engine, (b) the same on the main thread the way each pool thread runs its share (indicator
 * columns shared between combinations, one equity array reused: the sweep keeps only metrics), and (c) by runSweep over os.availableParallelism() worker threads, wall
 * time from the call to the last result. The pool is persistent (server/services/backtests/sweep-pool.ts): a
 * worker process starts its threads with its first sweep and keeps them, so (c) is measured as a sweep job of a
 * running worker sees it, with the threads already started; the cold figure (d) is the same sweep right after the
 * pool was closed, thread start-up included, as the first sweep of a fresh worker process sees it (plus the
 * one-time bundling of the thread entry, reported separately). The pool's metrics and (b)'s must equal the plain
 * engine's exactly, or the bench fails.
 *
 * Parallel efficiency is judged against what this machine can do, measured in the same run: the kernel alone on
 * one worker thread, then N copies of the same work on N worker threads at once. machine scaling =
 * N × single time ÷ concurrent time; sweep speedup = (b) ÷ (c) (the same work on one thread and on N);
 * efficiency = speedup ÷ machine scaling.
 */
import { availableParallelism } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import type { Worker } from 'node:worker_threads';
import { runBacktest } from '../server/core/backtest/engine';
import { generateGrid, type ParamRange } from '../server/core/backtest/sweep';
import type { BacktestMetrics } from '../server/core/backtest/types';
import { IndicatorColumns } from '../server/core/indicators/columns';
import { createStrategy, getStrategyDefinition } from '../server/core/strategies/registry';
import { closeSweepPool, runSweep, shareSeries } from '../server/services/backtests/sweep-pool';
import { benchConfig } from './engine';
import { KERNEL_WORKER_KIND, type KernelWorkerInit, type KernelWorkerReply } from './lib/kernel-worker';
import type { CheckResult } from './lib/parity';
import { syntheticSeries, SYNTHETIC_TIMEFRAME } from './lib/series';
import { roundSummary, summarize, type Summary } from './lib/stats';
import { settle, timeAsync, timeIt } from './lib/timing';
import { nextMessage, startScriptWorker } from './lib/worker-threads';

/** The full-size target: 100 combinations × 1,000,000 candles in under 2 s on 2 cores. */
export const SWEEP_TARGET_MS = 2000;

export interface SweepBenchResult {
  combos: number;
  candles: number;
  threads: number;
  /** ms: the combinations one after another on the main thread (plain engine, no pool, nothing shared) */
  singleThreadMs: Summary;
  /** ms: the same on the main thread the way a pool thread runs its share: shared indicator columns, one reused equity array */
  singleThreadSharedMs: Summary;
  /** ms: runSweep on `threads` threads of the running pool, as a sweep job of a running worker sees it (the target figure) */
  allCoresMs: Summary;
  /** ms: runSweep right after closeSweepPool(): thread start-up included (a fresh worker process's first sweep) */
  coldMs: Summary;
  /** ms: a cold runSweep of one tiny combination per thread over 1,000 candles: the pool's start-up alone */
  poolStartupMs: Summary;
  /** ms: the one-time esbuild bundle of the thread entry plus the first start, paid by a process's first sweep */
  firstSweepInProcessMs: number;
  /** candles × combos ÷ all-cores time */
  allCoresCandlesPerSecond: number;
  /** single (shared columns) ÷ all cores, medians: the same work on one thread and on all */
  speedup: number;
  /** single (plain) ÷ single (shared columns, reused equity): what the pool threads' way of running saves on one thread */
  sharingGain: number;
  machine: {
    /** ms: the kernel's share of work (combos ÷ threads of them) on one worker thread */
    kernelSingleMs: Summary;
    /** ms: the same work on each of `threads` worker threads at once */
    kernelConcurrentMs: Summary;
    /** threads × single ÷ concurrent, medians */
    scaling: number;
  };
  /** speedup ÷ machine scaling */
  efficiency: number;
}

/** 10 fast × 10 slow periods (fast < slow always): 100 combinations; `quick` takes 2 × 5. */
export function sweepRanges(quick: boolean): Record<string, ParamRange> {
  return quick
    ? { fastPeriod: { min: 5, max: 10, step: 5 }, slowPeriod: { min: 60, max: 140, step: 20 } }
    : { fastPeriod: { min: 5, max: 50, step: 5 }, slowPeriod: { min: 60, max: 240, step: 20 } };
}

export async function benchSweep(options: {
  candles: number;
  quick: boolean;
  runs: number;
  threads?: number;
  log: (line: string) => void;
}): Promise<{ result: SweepBenchResult; checks: CheckResult[] }> {
  const { candles, runs, log } = options;
  const threads = options.threads ?? availableParallelism();
  const series = syntheticSeries(candles);
  const config = benchConfig(SYNTHETIC_TIMEFRAME);
  const grid = generateGrid(getStrategyDefinition('sma_crossover'), sweepRanges(options.quick));
  const combos = grid.combos;
  const job = { series, strategyType: 'sma_crossover', combos, config };

  const runSingle = () => combos.map((params) => runBacktest(series, createStrategy('sma_crossover', params), config).metrics);
  // What a pool thread does with its share: indicator columns shared between combinations, one equity array reused.
  const runShared = () => {
    const columns = new IndicatorColumns();
    const equityBuffer = new Float64Array(series.length);
    return combos.map((params) => runBacktest(series, createStrategy('sma_crossover', params), config, { indicatorColumns: columns, equityBuffer }).metrics);
  };

  // A process's first sweep: bundles the thread entry once and starts the pool.
  await closeSweepPool();
  const first = await timeAsync(() => runSweep({ ...job, series: syntheticSeries(1_000), combos: combos.slice(0, threads) }, { threads }));
  // Warm-up: a few combinations on the main thread, and the pool.
  for (const params of combos.slice(0, 3)) runBacktest(series, createStrategy('sma_crossover', params), config);
  await runSweep({ ...job, combos: combos.slice(0, threads) }, { threads });

  const single: number[] = [];
  const shared: number[] = [];
  const parallel: number[] = [];
  const cold: number[] = [];
  let reference: BacktestMetrics[] | null = null;
  const checks: CheckResult[] = [];
  const compare = (name: string, results: Array<{ index: number; metrics: BacktestMetrics | null; error: string | null; params?: unknown }>) => {
    const mismatched = results.filter((r) => r.error !== null || !isDeepStrictEqual(r.metrics, reference![r.index]));
    checks.push({
      name,
      ok: mismatched.length === 0 && results.length === combos.length,
      detail:
        mismatched.length === 0
          ? `${combos.length} metric sets identical`
          : `${mismatched.length} differ, first: combo ${mismatched[0]!.index} ${JSON.stringify(combos[mismatched[0]!.index])}: ${mismatched[0]!.error ?? JSON.stringify(mismatched[0]!.metrics)} vs ${JSON.stringify(reference![mismatched[0]!.index])}`,
    });
  };
  const size = `${combos.length} combos × ${candles.toLocaleString('en')} candles`;
  for (let round = 0; round < runs; round++) {
    const s = timeIt(runSingle);
    single.push(s.ms);
    reference ??= s.result;
    await settle();
    const h = timeIt(runShared);
    shared.push(h.ms);
    await settle();
    const p = await timeAsync(() => runSweep(job, { threads }));
    parallel.push(p.ms);
    await settle();
    await closeSweepPool();
    const c = await timeAsync(() => runSweep(job, { threads }));
    cold.push(c.ms);
    if (round === 0) {
      compare(
        `shared indicator columns = plain engine (${size}, one thread)`,
        h.result.map((metrics, index) => ({ index, metrics, error: null })),
      );
      compare(`sweep pool = single-thread engine (${size}, ${threads} threads)`, p.result);
      compare(`sweep pool, cold = single-thread engine (${size}, ${threads} threads)`, c.result);
    }
    log(
      `  sweep: round ${round + 1}/${runs}: single ${s.ms.toFixed(0)} ms, single sharing columns ${h.ms.toFixed(0)} ms, ${threads} threads ${p.ms.toFixed(0)} ms (running pool), ${c.ms.toFixed(0)} ms (cold)`,
    );
    await settle();
  }

  // The pool's fixed cost: start the threads, almost no work.
  const tiny = { ...job, series: syntheticSeries(1_000), combos: combos.slice(0, threads) };
  const startup: number[] = [];
  for (let round = 0; round < runs; round++) {
    await closeSweepPool();
    startup.push((await timeAsync(() => runSweep(tiny, { threads }))).ms);
  }

  const machine = await measureMachineScaling({ series, config, combos, threads, runs, log });
  const singleSummary = summarize(single);
  const sharedSummary = summarize(shared);
  const allSummary = summarize(parallel);
  const speedup = sharedSummary.median / allSummary.median;
  return {
    result: {
      combos: combos.length,
      candles,
      threads,
      singleThreadMs: roundSummary(singleSummary),
      singleThreadSharedMs: roundSummary(sharedSummary),
      allCoresMs: roundSummary(allSummary),
      coldMs: roundSummary(summarize(cold)),
      poolStartupMs: roundSummary(summarize(startup)),
      firstSweepInProcessMs: Math.round(first.ms),
      allCoresCandlesPerSecond: Math.round((candles * combos.length) / (allSummary.median / 1000)),
      speedup: Number(speedup.toFixed(3)),
      sharingGain: Number((singleSummary.median / sharedSummary.median).toFixed(3)),
      machine,
      efficiency: Number((speedup / machine.scaling).toFixed(3)),
    },
    checks,
  };
}

async function measureMachineScaling(options: {
  series: ReturnType<typeof syntheticSeries>;
  config: ReturnType<typeof benchConfig>;
  combos: ReadonlyArray<Readonly<Record<string, unknown>>>;
  threads: number;
  runs: number;
  log: (line: string) => void;
}): Promise<SweepBenchResult['machine']> {
  const { threads, runs } = options;
  const { buffer, length } = shareSeries(options.series);
  // Each copy does one thread's share of the sweep, with the kernel instead of the engine.
  const share = options.combos.slice(0, Math.max(1, Math.ceil(options.combos.length / threads))) as unknown as KernelWorkerInit['combos'];
  const init: KernelWorkerInit = { kind: KERNEL_WORKER_KIND, buffer, length, config: options.config, combos: share };
  const workers: Worker[] = [];
  try {
    for (let t = 0; t < threads; t++) workers.push(startScriptWorker(new URL('./lib/kernel-worker.ts', import.meta.url), init));
    await Promise.all(workers.map((w) => nextMessage<KernelWorkerReply>(w)));
    const runOn = async (group: Worker[]) => {
      const replies = group.map((w) => nextMessage<KernelWorkerReply>(w));
      const { ms } = await timeAsync(async () => {
        for (const w of group) w.postMessage('run');
        await Promise.all(replies);
      });
      return ms;
    };
    await runOn(workers); // warm-up of every copy
    const single: number[] = [];
    const concurrent: number[] = [];
    for (let round = 0; round < runs; round++) {
      single.push(await runOn(workers.slice(0, 1)));
      await settle();
      concurrent.push(await runOn(workers));
      await settle();
    }
    const singleSummary = summarize(single);
    const concurrentSummary = summarize(concurrent);
    const scaling = (threads * singleSummary.median) / concurrentSummary.median;
    options.log(
      `  machine scaling: kernel ${singleSummary.median.toFixed(0)} ms alone, ${concurrentSummary.median.toFixed(0)} ms as ${threads} copies → ×${scaling.toFixed(2)}`,
    );
    return { kernelSingleMs: roundSummary(singleSummary), kernelConcurrentMs: roundSummary(concurrentSummary), scaling: Number(scaling.toFixed(3)) };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
