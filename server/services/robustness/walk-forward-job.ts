/**
 * The walk-forward fold job's handler for the worker only: its candidates run on the sweep thread pool
 * (sweep-pool.ts), which the web app's build should never see, so the routes import walk-forwards.ts without it.
 */
import { runSweep } from '@/server/services/backtests/sweep-pool';
import { createWalkForwardFoldHandler } from './walk-forward-fold';

/** `threads`: the pool threads one fold may use at once (default: every core). */
export function createWalkForwardFoldJobHandler(options: { threads?: number } = {}) {
  return createWalkForwardFoldHandler((job, { signal, onProgress }) => runSweep(job, { threads: options.threads, signal, onProgress }));
}

export const walkForwardFoldHandler = createWalkForwardFoldJobHandler();
