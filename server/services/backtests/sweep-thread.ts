/**
 * The entry of a sweep worker thread (started by sweep-pool.ts, which normally runs it as a pre-built bundle so
 * the thread does not load a TypeScript loader). It serves chunks of combinations for as long as the pool keeps
 * it: each chunk names its sweep, its candles (a SharedArrayBuffer in allocateSharedSeries' layout, mapped without
 * copying), strategy type, config and combinations, and a shared cancel flag the engine polls. Only metrics go
 * back. Per sweep the thread keeps the mapped series, the indicator columns (IndicatorColumns) that the
 * combinations share — e.g. SMA(20) of the closes is computed once per thread, not once per combination — and one
 * equity array that every run writes in turn, until the pool says the sweep is over. Sweeps that name a seriesKey
 * (a walk-forward fold's batches, all over one in-sample window) share that state across calls: it stays until the
 * pool releases the key (the fold's search is over) or two newer sweeps push it out. A dropped sweep's columns are
 * written over by the next sweep's (ColumnBuffers), not allocated afresh. Imports only pure core
 * modules (no services, no I/O).
 */
import { parentPort } from 'node:worker_threads';
import { runBacktest } from '@/server/core/backtest/engine';
import { BacktestCancelledError, type BacktestConfig, type BacktestMetrics } from '@/server/core/backtest/types';
import { seriesFromBuffer, type CandleSeries } from '@/server/core/candles';
import { ColumnBuffers, IndicatorColumns } from '@/server/core/indicators/columns';
import { createStrategy } from '@/server/core/strategies/registry';

export interface SweepChunkMessage {
  readonly kind: 'chunk';
  /** the sweep's id in this process (the pool's counter) */
  readonly sweepId: number;
  /** set when sweeps over the same candles share their state across calls (SweepJob.seriesKey): kept by this key */
  readonly seriesKey?: string;
  readonly buffer: SharedArrayBuffer;
  readonly length: number;
  readonly strategyType: string;
  readonly config: BacktestConfig;
  /** index of the first combination of the chunk in the job */
  readonly start: number;
  readonly combos: ReadonlyArray<Readonly<Record<string, unknown>>>;
  /** Int32Array over it: non-zero once the job is canceled */
  readonly cancel: SharedArrayBuffer;
}

/** The sweep is over (or every sweep of a seriesKey): drop its series and columns. */
export type SweepReleaseMessage = { readonly kind: 'release'; readonly sweepId: number } | { readonly kind: 'release'; readonly seriesKey: string };

export type SweepThreadReply =
  | {
      readonly kind: 'results';
      readonly results: Array<{ index: number; metrics: BacktestMetrics | null; error: string | null }>;
      /** the thread already held this sweep's state (series, columns) before the chunk: a shared seriesKey, or an earlier chunk */
      readonly warm: boolean;
    }
  | { readonly kind: 'canceled' };

/**
 * Per sweep: its series mapped once, the indicator columns its combinations share, and one equity array the runs
 * write in turn (only their metrics are kept). At most two sweeps at once.
 */
interface SweepState {
  series: CandleSeries;
  columns: IndicatorColumns;
  equity: Float64Array;
}
const sweeps = new Map<number | string, SweepState>();
/**
 * The columns of dropped sweeps, written over by the next sweeps' columns instead of allocating fresh memory (a
 * walk-forward's folds have in-sample windows of one length).
 */
const columnBuffers = new ColumnBuffers();

/** Drops a sweep's state; its columns go to columnBuffers (nothing reads them between chunks). */
function dropSweep(key: number | string): void {
  sweeps.get(key)?.columns.release();
  sweeps.delete(key);
}

function sweepState(chunk: SweepChunkMessage): { state: SweepState; warm: boolean } {
  const key = chunk.seriesKey ?? chunk.sweepId;
  const held = sweeps.get(key);
  if (held) return { state: held, warm: true };
  if (sweeps.size >= 2) dropSweep(sweeps.keys().next().value!);
  const state = {
    series: seriesFromBuffer(chunk.buffer, chunk.length),
    columns: new IndicatorColumns(undefined, undefined, columnBuffers),
    equity: new Float64Array(chunk.length),
  };
  sweeps.set(key, state);
  return { state, warm: false };
}

function serve(chunk: SweepChunkMessage): SweepThreadReply {
  const {
    state: { series, columns, equity },
    warm,
  } = sweepState(chunk);
  const cancelFlag = new Int32Array(chunk.cancel);
  const shouldCancel = () => Atomics.load(cancelFlag, 0) !== 0;
  const results: Array<{ index: number; metrics: BacktestMetrics | null; error: string | null }> = [];
  for (let k = 0; k < chunk.combos.length; k++) {
    if (shouldCancel()) return { kind: 'canceled' };
    const index = chunk.start + k;
    try {
      const strategy = createStrategy(chunk.strategyType, chunk.combos[k]);
      results.push({
        index,
        metrics: runBacktest(series, strategy, chunk.config, { shouldCancel, indicatorColumns: columns, equityBuffer: equity }).metrics,
        error: null,
      });
    } catch (error) {
      if (error instanceof BacktestCancelledError) return { kind: 'canceled' };
      results.push({ index, metrics: null, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return { kind: 'results', results, warm };
}

if (parentPort) {
  const port = parentPort;
  port.on('message', (message: SweepChunkMessage | SweepReleaseMessage) => {
    if (message.kind === 'release') dropSweep('seriesKey' in message ? message.seriesKey : message.sweepId);
    else port.postMessage(serve(message) satisfies SweepThreadReply);
  });
}
