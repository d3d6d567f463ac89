import type { JobStatus } from '@/db/schema';
import { failureMessage } from '@/server/services/backtests/run-job';
import { JobInterrupted } from '@/server/services/jobs/contract';
import type { Job } from '@/server/services/jobs/queue';

/**
 * Robustness runs (bias checks, Monte Carlo) are jobs and nothing more: the job row holds the request (payload),
 * the status and progress, and the result, so they need no table of their own. This is the part of every view
 * that comes from the job.
 */
export interface RobustnessJobState {
  id: string;
  status: JobStatus;
  /** 0..1 */
  progress: number;
  /** what the job is doing now, while it runs */
  progressMessage: string | null;
  /** why it failed or was canceled */
  error: string | null;
  /** ISO 8601, UTC */
  createdAt: string;
  finishedAt: string | null;
}

export function robustnessJobView(job: Job): RobustnessJobState {
  return {
    id: job.id,
    status: job.status,
    progress: job.status === 'completed' ? 1 : job.progress,
    progressMessage: job.status === 'running' ? job.progressMessage : null,
    error: job.status === 'failed' || job.status === 'canceled' ? job.error : null,
    createdAt: job.createdAt.toISOString(),
    finishedAt: job.finishedAt?.toISOString() ?? null,
  };
}

/**
 * What a robustness handler throws for the runner to store on the job: an interruption as it is (the runner cancels
 * or lets go), a failure the user can act on with its message, anything else by reference to the worker log.
 */
export function jobFailureMessage(error: unknown, jobId: string): Error {
  if (error instanceof JobInterrupted) return error;
  return new Error(failureMessage(error, jobId), { cause: error });
}
