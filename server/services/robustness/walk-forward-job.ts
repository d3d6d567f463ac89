/**
 * The walk-forward fold job's handler for the worker only: its candidates run on the sweep thread pool
 * (sweep-pool.ts), which the web app's build should never see, so the routes import walk-forwards.ts without it.
 */
import { releaseSweepSeries, runSweep, type SweepJob } from '@/server/services/backtests/sweep-pool';
import { createWalkForwardFoldHandler } from './walk-forward-fold';

/** `threads`: the pool threads one fold may use at once (default: every core). */
export function createWalkForwardFoldJobHandler(options: { threads?: number } = {}) {
  return createWalkForwardFoldHandler(
    Object.assign(
      (job: SweepJob, { signal, onProgress }: { signal: AbortSignal; onProgress: (done: number, total: number) => void }) =>
        runSweep(job, { threads: options.threads, signal, onProgress }),
      { releaseSeries: releaseSweepSeries },
    ),
  );
}

export const walkForwardFoldHandler = createWalkForwardFoldJobHandler();
