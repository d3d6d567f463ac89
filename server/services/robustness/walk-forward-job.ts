/**
 * The walk-forward fold job's handler for the worker only: its candidates run on the sweep thread pool
 * (sweep-pool.ts), which the web app's build should never see, so the routes import walk-forwards.ts without it.
 */
import { releaseSweepSeries, runSweep, type SweepJob } from '@/server/services/backtests/sweep-pool';
import type { RunCandidates } from './fold-search';
import { createWalkForwardFoldHandler } from './walk-forward-fold';

/**
 * A fold's candidates run on the sweep thread pool, `threads` at once (default: every core); a fold's search
 * releases its series from the threads when it ends.
 */
export function sweepPoolCandidates(threads?: number): RunCandidates {
  return Object.assign((job: SweepJob, { signal, onProgress }: Parameters<RunCandidates>[1]) => runSweep(job, { threads, signal, onProgress }), {
    releaseSeries: releaseSweepSeries,
  });
}

/** `threads`: the pool threads one fold may use at once (default: every core). */
export function createWalkForwardFoldJobHandler(options: { threads?: number } = {}) {
  return createWalkForwardFoldHandler(sweepPoolCandidates(options.threads));
}

export const walkForwardFoldHandler = createWalkForwardFoldJobHandler();
