/**
 * A worker process for bench/walk-forward-workers.ts: the worker's job runner with the walk-forward fold handler
 * only, on ONE sweep thread, against DATABASE_URL. Prints "ready" once its sweep thread is warm and it listens for
 * jobs; SIGTERM stops it.
 */
import pino from 'pino';
import { createDatabase } from '../../db/client';
import { WALK_FORWARD_FOLD_JOB_TYPE } from '../../server/services/jobs/contract';
import { createWalkForwardFoldJobHandler } from '../../server/services/robustness/walk-forward-job';
import { closeSweepPool, runSweep } from '../../server/services/backtests/sweep-pool';
import { syntheticSeries } from './series';
import { createJobRunner } from '../../server/worker/job-runner';

// Warm, as a long-running worker is after its first jobs: its sweep thread started (the thread's bundle is built once
// per process) and its engine, indicator columns and metrics compiled by a sweep of a few sizes of SMA over 50,000
// bars (a 2,000-bar sweep of one combination left the first fold of each process to pay for the rest).
await runSweep(
  {
    series: syntheticSeries(50_000, 1),
    strategyType: 'sma_crossover',
    combos: [5, 12, 30, 60].flatMap((fastPeriod) => [80, 200, 400].map((slowPeriod) => ({ fastPeriod, slowPeriod }))),
    config: { initialCapital: 1_000, feeRate: 0.001, slippage: 0.0005, timeframe: '1m' },
  },
  { threads: 1 },
);
const database = createDatabase(process.env.DATABASE_URL!, { max: 4, applicationName: 'cryptobot-bench-fold-worker' });
const controller = new AbortController();
const stop = await createJobRunner({ [WALK_FORWARD_FOLD_JOB_TYPE]: createWalkForwardFoldJobHandler({ threads: 1 }) }, { pollMs: 50 }).start({
  database,
  workerId: `bench-fold-worker-${process.pid}`,
  logger: pino({ level: 'warn' }),
  signal: controller.signal,
});
console.log('ready');
process.on('SIGTERM', () => {
  controller.abort();
  void stop()
    .then(() => closeSweepPool())
    .then(() => database.close())
    .then(() => process.exit(0));
});
