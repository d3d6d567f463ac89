import type { BacktestStatus } from '@/db/schema';

/** The job behind a backtest or sweep, as far as its row's view needs it. */
export type JobState = { status: string; progress: number; error: string | null } | null;

export interface RunState {
  status: BacktestStatus;
  progress: number;
  error: string | null;
}

/**
 * What the API shows for a backtest or sweep. While the row is not finished, its status and progress
 * come from its job (canceled while queued, or running on a worker that reports progress there); a job
 * that completed without the row being finished stored no results, which is a failure.
 */
export function effectiveRunState(row: RunState, job: JobState): RunState {
  let { status, progress, error } = row;
  const finished = status === 'completed' || status === 'failed' || status === 'canceled';
  if (!finished && job) {
    if (job.status === 'queued' || job.status === 'running' || job.status === 'canceled' || job.status === 'failed') status = job.status;
    if (job.status === 'completed') {
      status = 'failed';
      error = error ?? 'the job ended without storing results';
    }
    if (job.status === 'failed') error = error ?? job.error;
    progress = Math.max(progress, job.progress);
  }
  return { status, progress, error };
}
