/**
 * The job contract between the services that queue work and the worker that runs it (server/worker/job-runner.ts):
 * every job type with its payload schema, the context a handler runs in, and the one error that interrupts it.
 * A job type is declared here once; a payload is checked when it is queued and again when it is claimed.
 */
import { z } from 'zod';
import type { Db } from '@/db/client';
import type { jobs } from '@/db/schema';

export type Job = typeof jobs.$inferSelect;

export const BACKTEST_JOB_TYPE = 'backtest.run';
export const SWEEP_JOB_TYPE = 'backtest.sweep';
export const MARKET_DATA_IMPORT_JOB = 'market-data.import';
export const BIAS_CHECK_JOB_TYPE = 'robustness.bias-check';
export const MONTE_CARLO_JOB_TYPE = 'robustness.monte-carlo';
export const MONTE_CARLO_SHARD_JOB_TYPE = 'robustness.monte-carlo-shard';
export const SIGNIFICANCE_JOB_TYPE = 'robustness.significance';
export const WALK_FORWARD_FOLD_JOB_TYPE = 'robustness.walk-forward-fold';
export const DEPLOYMENT_PLOTS_JOB_TYPE = 'deployment.plots';

/** What a robustness job runs on: a snapshot of the strategy (type and validated params) and its market. */
const ZStrategySnapshot = {
  strategyId: z.string().min(1),
  strategyType: z.string().min(1),
  params: z.record(z.string(), z.unknown()),
  exchange: z.string(),
  symbol: z.string(),
  timeframe: z.string(),
};

/** Each job type's payload. */
export const JOB_PAYLOADS = {
  /** Runs one stored backtest (server/services/backtests/run-job.ts). */
  [BACKTEST_JOB_TYPE]: z.object({ backtestId: z.string().min(1) }).strict(),
  /** Runs one stored sweep (server/services/backtests/sweep-job.ts). */
  [SWEEP_JOB_TYPE]: z.object({ sweepId: z.string().min(1) }).strict(),
  /** Imports the missing candles of a series in [startMs, endMs) (ms UTC; server/services/market-data/imports.ts). */
  [MARKET_DATA_IMPORT_JOB]: z
    .object({ exchange: z.string(), symbol: z.string(), timeframe: z.string(), startMs: z.number().int(), endMs: z.number().int() })
    .strict(),
  /** Bias checks of a strategy over [startMs, endMs) (server/services/robustness/bias-checks.ts); the result is the report. */
  [BIAS_CHECK_JOB_TYPE]: z.object({ ...ZStrategySnapshot, startMs: z.number().int(), endMs: z.number().int() }).strict(),
  /** Monte Carlo runs from a completed backtest (server/services/robustness/monte-carlo.ts); the result is the summary. */
  [MONTE_CARLO_JOB_TYPE]: z
    .object({
      backtestId: z.string().min(1),
      method: z.enum(['shuffle', 'bootstrap', 'blocks']),
      runs: z.number().int().positive(),
      seed: z.number().int().min(0),
      blockBars: z.number().int().positive().nullable(),
      ruinDrawdownPct: z.number().positive(),
      /** runs split into this many shard jobs (absent or 1: the job runs them all itself; more: it combines the shards) */
      shards: z.number().int().min(1).optional(),
    })
    .strict(),
  /**
   * Runs [from, to) of a sharded Monte Carlo study (server/services/robustness/monte-carlo.ts): their figures go into the
   * study job's row under its lock; the shard that completes the set releases the study job, which combines them.
   */
  [MONTE_CARLO_SHARD_JOB_TYPE]: z
    .object({ studyId: z.string().min(1), shard: z.number().int().min(0), from: z.number().int().min(0), to: z.number().int().positive() })
    .strict(),
  /** A permutation test of a backtest or the deflated Sharpe ratio of a sweep (server/services/robustness/significance.ts). */
  [SIGNIFICANCE_JOB_TYPE]: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('permutation'), backtestId: z.string().min(1), runs: z.number().int().positive(), seed: z.number().int().min(0) }).strict(),
    z.object({ kind: z.literal('deflated-sharpe'), sweepId: z.string().min(1) }).strict(),
  ]),
  /**
   * One fold of a walk-forward (server/services/robustness/walk-forward-fold.ts): its search over the in-sample window and
   * the out-of-sample run of the chosen cell, stored in the walk-forward's row; the job that completes the set stitches.
   */
  [WALK_FORWARD_FOLD_JOB_TYPE]: z.object({ walkForwardId: z.string().min(1), fold: z.number().int().min(0) }).strict(),
  /**
   * The declared plots of a script deployment over the bars it processed (server/services/scripts/deployment-plots.ts):
   * computed in the worker's sandbox for the deployment's chart, the values in the job's result (deployments/script-plots.ts).
   */
  [DEPLOYMENT_PLOTS_JOB_TYPE]: z.object({ deploymentId: z.string().min(1) }).strict(),
} as const;

export type JobType = keyof typeof JOB_PAYLOADS;
export type JobPayload<T extends JobType> = z.infer<(typeof JOB_PAYLOADS)[T]>;
export const JOB_TYPES = Object.keys(JOB_PAYLOADS) as JobType[];

export function isJobType(type: string): type is JobType {
  return Object.hasOwn(JOB_PAYLOADS, type);
}

/** A type's payload checked against its schema; throws a message naming the bad field otherwise. */
export function parseJobPayload<T extends JobType>(type: T, payload: unknown): JobPayload<T> {
  const parsed = JOB_PAYLOADS[type].safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidJobPayloadError(
      `invalid ${type} payload: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'does not match its schema'}`,
    );
  }
  return parsed.data as JobPayload<T>;
}

export class InvalidJobPayloadError extends Error {
  override readonly name = 'InvalidJobPayloadError';
}

/** Thrown inside a handler (by `progress`) when the job was canceled or its lease was lost. */
export class JobInterrupted extends Error {
  override readonly name = 'JobInterrupted';
  constructor(readonly reason: 'canceled' | 'lease_lost') {
    super(`job interrupted: ${reason}`);
  }
}

/** What a handler runs with: the claimed job, its payload (checked against the type's schema), the database. */
export interface JobContext<P = Record<string, unknown>> {
  job: Job;
  payload: P;
  db: Db;
  workerId: string;
  signal: AbortSignal;
  /**
   * Records progress (0..1) and renews the lease; throws JobInterrupted when the user canceled or
   * another worker owns the job now. Call it every so often from long work (it is rate-limited).
   */
  progress(fraction: number, message?: string): Promise<void>;
}

export interface JobHandler<P = Record<string, unknown>> {
  /** The job's result, stored with it. */
  run(context: JobContext<P>): Promise<Record<string, unknown>>;
  /** Errors worth another attempt (e.g. an exchange timeout); others fail the job at once. */
  isRetryable?(error: unknown): boolean;
  /**
   * The job's worker stopped while running it (its lease expired) on every one of its attempts, so the runner
   * fails the job without running it again: record `message` on the job's own row (a backtest's, a sweep's).
   */
  abandon?(context: JobContext<P>, message: string): Promise<void>;
}

/** One handler per job type: the worker's registry (a type without a handler does not compile). */
export type JobHandlers = { [T in JobType]: JobHandler<JobPayload<T>> };

/** What a service queues: a job type with its payload's type. */
export type JobRequest = { [T in JobType]: { type: T; payload: JobPayload<T> } }[JobType];
