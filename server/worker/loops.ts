import type { Database } from '@/db/client';
import type { WorkerLoopSettings } from '@/server/env';
import type { Logger } from '@/server/logger';
import { backtestRunHandler } from '@/server/services/backtests/run-job';
import { backtestSweepHandler } from '@/server/services/backtests/sweep-job';
import {
  BACKTEST_JOB_TYPE,
  BIAS_CHECK_JOB_TYPE,
  DEPLOYMENT_PLOTS_JOB_TYPE,
  MARKET_DATA_IMPORT_JOB,
  MONTE_CARLO_JOB_TYPE,
  MONTE_CARLO_SHARD_JOB_TYPE,
  SIGNIFICANCE_JOB_TYPE,
  SWEEP_JOB_TYPE,
  WALK_FORWARD_FOLD_JOB_TYPE,
  type JobHandlers,
} from '@/server/services/jobs/contract';
import { biasCheckHandler } from '@/server/services/robustness/bias-checks';
import { monteCarloHandler, monteCarloShardHandler } from '@/server/services/robustness/monte-carlo-job';
import { significanceHandler } from '@/server/services/robustness/significance';
import { walkForwardFoldHandler } from '@/server/services/robustness/walk-forward-job';
import { createImportJobHandler } from '@/server/services/market-data/imports';
import { deploymentPlotsHandler } from '@/server/services/scripts/deployment-plots';
import { createDeploymentRunnerLoop } from './deployment-runner';
import { createEquitySnapshotLoop } from './equity-snapshots';
import { createKeyRotationLoop } from './key-rotation';
import { createReconcilerLoop } from './reconciler';
import { createThrottlePruneLoop } from './throttle-prune';
import { createPairListRefreshLoop } from './pair-list-refresh';
import { createJobRunner } from './job-runner';
import { createNotificationDeliveryLoop } from './notification-delivery';
import { createTelegramCommandLoop } from './telegram-commands';

/**
 * A long-running worker loop (deployment runner, job runner, reconciler, key rotation).
 * `start` begins its work and returns a function that stops it, resolving once in-flight work is done.
 */
export interface WorkerLoop {
  name: string;
  start(context: WorkerContext): Promise<() => Promise<void>>;
}

export interface WorkerContext {
  database: Database;
  workerId: string;
  logger: Logger;
  /** Aborted when the worker is shutting down. */
  signal: AbortSignal;
  /** The loops' intervals from the worker's configuration (server/env.ts); the defaults when absent (tests). */
  settings?: WorkerLoopSettings;
}

/** One handler per job type of the contract (server/services/jobs/contract.ts); each capability registers its own. */
export const JOB_HANDLERS: JobHandlers = {
  [BACKTEST_JOB_TYPE]: backtestRunHandler,
  [SWEEP_JOB_TYPE]: backtestSweepHandler,
  [MARKET_DATA_IMPORT_JOB]: createImportJobHandler(),
  [BIAS_CHECK_JOB_TYPE]: biasCheckHandler,
  [MONTE_CARLO_JOB_TYPE]: monteCarloHandler,
  [MONTE_CARLO_SHARD_JOB_TYPE]: monteCarloShardHandler,
  [SIGNIFICANCE_JOB_TYPE]: significanceHandler,
  [WALK_FORWARD_FOLD_JOB_TYPE]: walkForwardFoldHandler,
  [DEPLOYMENT_PLOTS_JOB_TYPE]: deploymentPlotsHandler,
};

/** The loops this worker runs; each capability adds its own here. */
export const WORKER_LOOPS: WorkerLoop[] = [
  createJobRunner(JOB_HANDLERS),
  createDeploymentRunnerLoop(),
  createKeyRotationLoop(),
  createReconcilerLoop(),
  createEquitySnapshotLoop(),
  createThrottlePruneLoop(),
  createPairListRefreshLoop(),
  createNotificationDeliveryLoop(),
  createTelegramCommandLoop(),
];
