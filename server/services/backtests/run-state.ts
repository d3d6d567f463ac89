import type { BacktestStatus } from '@/db/schema';

/** The job behind a backtest or sweep, as far as its row's view needs it. */
export type JobState = { status: string; progress: number; error: string | null } | null;

export interface RunState {
  status: BacktestStatus;
  progress: number;
  error: string | null;
}

/**
 * What the API shows for a backtest or sweep. Its status and error are its row's, the one source: every
 * change of them is written to the row (by the job handler, or by a cancel in the same transaction as the
 * job's), before the job's event announces it. Only the progress of a queued or running one comes from its job,
 * which the handler's progress reports renew.
 */
export function effectiveRunState(row: RunState, job: JobState): RunState {
  const active = row.status === 'queued' || row.status === 'running';
  return { status: row.status, error: row.error, progress: active && job ? Math.max(row.progress, job.progress) : row.progress };
}
