import { isSignalStrategyType } from '@/server/core/strategies/signal';
import { isScriptType } from '@/server/core/scripts/script-type';
import { and, desc, eq, getTableColumns, inArray, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { backtestSweeps, jobs, type BacktestStatus } from '@/db/schema';
import { generateGrid, SweepError, type ParamRange } from '@/server/core/backtest';
import { AppError } from '@/server/core/errors';
import { floatToDecimalString } from '@/server/core/money/decimal';
import { getStrategyDefinition } from '@/server/core/strategies';
import type { StrategyDefinition } from '@/server/core/strategies/types';
import { runnableScript } from '@/server/services/scripts/scripts';
import { SWEEP_JOB_TYPE } from '@/server/services/jobs/contract';
import { requestJobCancel } from '@/server/services/jobs/queue';
import { getStrategyRow } from '@/server/services/strategies/strategies';
import { effectiveRunState, type JobState } from './run-state';
import { msToIso } from '@/server/core/time';
import { createRun, type RunSpec } from './run-spec';
import type { SweepSummaryView, SweepView } from './views';

export { SWEEP_JOB_TYPE };

/** A run spec and the parameter ranges whose grid the sweep runs. */
export interface CreateSweepInput extends RunSpec {
  ranges: Record<string, ParamRange>;
}

export type SweepRow = typeof backtestSweeps.$inferSelect;

function grid(definition: StrategyDefinition, ranges: Record<string, ParamRange>, baseParams: Record<string, unknown>) {
  try {
    return generateGrid(definition, ranges, { baseParams });
  } catch (error) {
    if (error instanceof SweepError) throw AppError.validation([{ field: error.param ? `ranges.${error.param}` : 'ranges', message: error.message }]);
    throw error;
  }
}

/**
 * Validates the grid (422 naming `ranges.<param>`), stores the sweep and queues one `backtest.sweep` job. A pair-list
 * strategy's sweep stores its list and capital rules (fixed for the run) and runs each cell as a portfolio backtest.
 */
export async function createSweep(db: Db, userId: string, input: CreateSweepInput): Promise<SweepSummaryView> {
  const strategy = await getStrategyRow(db, userId, input.strategyId);
  if (isSignalStrategyType(strategy.type))
    throw new AppError('CONFLICT', 'a signal strategy decides nothing on bars: there is nothing to backtest (docs/signals.md)');
  // A script version's schema (the version the user may read now; the job reads it again and records its hash).
  const definition = isScriptType(strategy.type) ? (await runnableScript(db, userId, strategy.type)).definition : getStrategyDefinition(strategy.type);
  const { combos, skipped } = grid(definition, input.ranges, strategy.params);
  if (combos.length === 0) throw AppError.validation([{ field: 'ranges', message: `every combination breaks a rule across parameters (${skipped} skipped)` }]);
  return createRun(db, userId, strategy, input, {
    job: (sweepId) => ({ type: SWEEP_JOB_TYPE, payload: { sweepId } }),
    insert: async (tx, columns) => {
      const [row] = await tx
        .insert(backtestSweeps)
        .values({
          ...columns,
          baseParams: strategy.params,
          ranges: input.ranges as Record<string, unknown>,
          combinationCount: combos.length,
          skippedCount: skipped,
        })
        .returning();
      return toSummary(row!, null);
    },
  });
}

function toSummary(row: Omit<SweepRow, 'results'>, job: JobState): SweepSummaryView {
  const { status, progress, error } = effectiveRunState(row, job);
  return {
    id: row.id,
    strategyId: row.strategyId,
    strategyType: row.strategyType,
    status,
    progress,
    error,
    baseParams: row.baseParams,
    ranges: row.ranges,
    sweptParams: Object.keys(row.ranges),
    exchange: row.exchange,
    symbol: row.symbol,
    symbols: row.symbols ?? null,
    capital: row.capital ?? null,
    timeframe: row.timeframe,
    start: msToIso(row.startTime),
    end: msToIso(row.endTime),
    initialCapital: floatToDecimalString(row.initialCapital),
    feeRate: floatToDecimalString(row.feeRate),
    slippage: floatToDecimalString(row.slippage),
    engineVersion: row.engineVersion,
    scriptHash: row.scriptHash,
    combinationCount: row.combinationCount,
    skippedCount: row.skippedCount,
    createdAt: row.createdAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
  };
}

const { results: _results, ...sweepSummaryColumns } = getTableColumns(backtestSweeps);
const summarySelect = { ...sweepSummaryColumns, jobStatus: jobs.status, jobProgress: jobs.progress, jobError: jobs.error };

function fromJoined(r: Omit<SweepRow, 'results'> & { jobStatus: string | null; jobProgress: number | null; jobError: string | null }): SweepSummaryView {
  return toSummary(r, r.jobStatus ? { status: r.jobStatus, progress: r.jobProgress ?? 0, error: r.jobError } : null);
}

export async function listSweepsForUser(db: DbOrTx, userId: string, options: { strategyId?: string; limit?: number } = {}): Promise<SweepSummaryView[]> {
  if (options.strategyId) await getStrategyRow(db, userId, options.strategyId);
  const rows = await db
    .select(summarySelect)
    .from(backtestSweeps)
    .leftJoin(jobs, eq(jobs.id, backtestSweeps.jobId))
    .where(and(eq(backtestSweeps.userId, userId), options.strategyId ? eq(backtestSweeps.strategyId, options.strategyId) : undefined))
    .orderBy(desc(backtestSweeps.createdAt))
    .limit(options.limit ?? 100);
  return rows.map(fromJoined);
}

export async function getSweepForUser(db: DbOrTx, userId: string, id: string): Promise<SweepView> {
  const [row] = await db
    .select({ ...summarySelect, results: backtestSweeps.results })
    .from(backtestSweeps)
    .leftJoin(jobs, eq(jobs.id, backtestSweeps.jobId))
    .where(and(eq(backtestSweeps.id, id), eq(backtestSweeps.userId, userId)));
  if (!row) throw AppError.notFound('sweep');
  const summary = fromJoined(row);
  const results = summary.status === 'completed' ? (row.results ?? []) : [];
  return { ...summary, results: results as SweepView['results'] };
}

export async function cancelSweepForUser(db: Db, userId: string, id: string): Promise<SweepSummaryView> {
  const sweep = await getSweepForUser(db, userId, id);
  if (sweep.status !== 'queued' && sweep.status !== 'running')
    throw new AppError('CONFLICT', `the sweep is ${sweep.status}; only a queued or running one can be canceled`);
  // The job and the row change together: a queued one is canceled in both, and the job's event goes out at the commit.
  await db.transaction(async (tx) => {
    const [row] = await tx
      .select({ jobId: backtestSweeps.jobId })
      .from(backtestSweeps)
      .where(and(eq(backtestSweeps.id, id), eq(backtestSweeps.userId, userId)));
    const job = row?.jobId ? await requestJobCancel(tx, row.jobId, userId) : null;
    if (!job || job.status === 'canceled') {
      await tx
        .update(backtestSweeps)
        .set({ status: 'canceled', error: 'canceled by the user', finishedAt: sql`now()` })
        .where(and(eq(backtestSweeps.id, id), eq(backtestSweeps.userId, userId), inArray(backtestSweeps.status, ['queued', 'running'])));
    }
  });
  const { results: _omit, ...summary } = await getSweepForUser(db, userId, id);
  return summary;
}

/** A sweep in these states may still run (its job picks it up or is running it). */
export const ACTIVE_SWEEP_STATUSES: BacktestStatus[] = ['queued', 'running'];
