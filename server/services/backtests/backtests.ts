import { isSignalStrategyType } from '@/server/core/strategies/signal';
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { marketPrecision } from '@/server/services/market-data/precision';
import type { Db, DbOrTx } from '@/db/client';
import { backtests, backtestTrades, jobs } from '@/db/schema';
import type { BacktestMetrics, BacktestTrade } from '@/server/core/backtest';
import { AppError } from '@/server/core/errors';
import { floatToDecimalString } from '@/server/core/money/decimal';
import { BACKTEST_JOB_TYPE } from '@/server/services/jobs/contract';
import { requestJobCancel } from '@/server/services/jobs/queue';
import { getStrategyRow, validateStrategyParams } from '@/server/services/strategies/strategies';
import { effectiveRunState, type JobState } from './run-state';
import { createRun, type RunSpec } from './run-spec';
import type { BacktestEquityView, BacktestSummaryView, BacktestView } from './views';
import { msToIso } from '@/server/core/time';

export { BACKTEST_JOB_TYPE };

export type BacktestRow = typeof backtests.$inferSelect;

/** A run spec, with params to run instead of the strategy's own (e.g. one combination of a sweep), merged over them. */
export interface CreateBacktestInput extends RunSpec {
  params?: Record<string, unknown>;
}

/** Queues a backtest (job `backtest.run`); the worker runs it. Returns the queued row. */
export async function createBacktest(db: Db, userId: string, input: CreateBacktestInput): Promise<BacktestSummaryView> {
  const strategy = await getStrategyRow(db, userId, input.strategyId);
  if (isSignalStrategyType(strategy.type))
    throw new AppError('CONFLICT', 'a signal strategy decides nothing on bars: there is nothing to backtest (docs/signals.md)');
  const params = input.params ? await validateStrategyParams(db, userId, strategy.type, { ...strategy.params, ...input.params }) : strategy.params;
  return createRun(db, userId, strategy, input, {
    job: (backtestId) => ({ type: BACKTEST_JOB_TYPE, payload: { backtestId } }),
    insert: async (tx, columns) =>
      toSummaryView(
        (
          await tx
            .insert(backtests)
            .values({ ...columns, params })
            .returning()
        )[0]!,
        null,
      ),
  });
}

/** The row as the API shows it; status and progress follow the job until the row is finished. */
function toSummaryView(row: BacktestRow, job: JobState): BacktestSummaryView {
  const { status, progress, error } = effectiveRunState(row, job);
  return {
    id: row.id,
    strategyId: row.strategyId,
    strategyType: row.strategyType,
    status,
    progress,
    error,
    params: row.params,
    symbols: row.symbols ?? null,
    capital: row.capital ?? null,
    pairs: row.pairs ?? null,
    exchange: row.exchange,
    symbol: row.symbol,
    timeframe: row.timeframe,
    start: msToIso(row.startTime),
    end: msToIso(row.endTime),
    initialCapital: floatToDecimalString(row.initialCapital),
    feeRate: floatToDecimalString(row.feeRate),
    slippage: floatToDecimalString(row.slippage),
    engineVersion: row.engineVersion,
    scriptHash: row.scriptHash,
    barCount: row.barCount,
    metrics: (row.metrics as BacktestMetrics | null) ?? null,
    createdAt: row.createdAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
  };
}

const summaryColumns = {
  id: backtests.id,
  userId: backtests.userId,
  strategyId: backtests.strategyId,
  params: backtests.params,
  jobId: backtests.jobId,
  strategyType: backtests.strategyType,
  exchange: backtests.exchange,
  symbol: backtests.symbol,
  timeframe: backtests.timeframe,
  startTime: backtests.startTime,
  endTime: backtests.endTime,
  initialCapital: backtests.initialCapital,
  feeRate: backtests.feeRate,
  slippage: backtests.slippage,
  status: backtests.status,
  progress: backtests.progress,
  error: backtests.error,
  engineVersion: backtests.engineVersion,
  scriptHash: backtests.scriptHash,
  createdAt: backtests.createdAt,
  startedAt: backtests.startedAt,
  finishedAt: backtests.finishedAt,
  metrics: backtests.metrics,
  barCount: backtests.barCount,
  symbols: backtests.symbols,
  capital: backtests.capital,
  pairs: backtests.pairs,
  jobStatus: jobs.status,
  jobProgress: jobs.progress,
  jobError: jobs.error,
};

type SummaryRow = Omit<BacktestRow, 'chartTime' | 'chartEquity' | 'chartDrawdownPct' | 'chartClose' | 'chartPairEquity' | 'chartStore' | 'scriptLog'> & {
  jobStatus: string | null;
  jobProgress: number | null;
  jobError: string | null;
};

function fromSummaryRow(r: SummaryRow): BacktestSummaryView {
  const job = r.jobStatus ? { status: r.jobStatus, progress: r.jobProgress ?? 0, error: r.jobError } : null;
  return toSummaryView(
    { ...r, chartTime: null, chartEquity: null, chartDrawdownPct: null, chartClose: null, chartPairEquity: null, chartStore: null, scriptLog: null },
    job,
  );
}

/** Backtests of the user, newest first; optionally of one strategy (another user's strategy is a 404). */
export async function listBacktestsForUser(db: DbOrTx, userId: string, options: { strategyId?: string; limit?: number } = {}): Promise<BacktestSummaryView[]> {
  if (options.strategyId) await getStrategyRow(db, userId, options.strategyId);
  const rows = await db
    .select(summaryColumns)
    .from(backtests)
    .leftJoin(jobs, eq(jobs.id, backtests.jobId))
    .where(and(eq(backtests.userId, userId), options.strategyId ? eq(backtests.strategyId, options.strategyId) : undefined))
    .orderBy(desc(backtests.createdAt))
    .limit(options.limit ?? 200);
  return rows.map(fromSummaryRow);
}

export async function getBacktestSummary(db: DbOrTx, userId: string, id: string): Promise<BacktestSummaryView> {
  const [row] = await db
    .select(summaryColumns)
    .from(backtests)
    .leftJoin(jobs, eq(jobs.id, backtests.jobId))
    .where(and(eq(backtests.id, id), eq(backtests.userId, userId)));
  if (!row) throw AppError.notFound('backtest');
  return fromSummaryRow(row);
}

/** One backtest with its trades in order (empty until completed) and what its script printed (null for a built-in). */
export async function getBacktestForUser(db: DbOrTx, userId: string, id: string): Promise<BacktestView> {
  const summary = await getBacktestSummary(db, userId, id);
  // The market's precision when its exchange's markets are known (cached; never waits long): display only.
  const { priceTick, amountStep } = await marketPrecision(summary.exchange, summary.symbol);
  // Read apart from the summary: the list of backtests never carries logs.
  const [logRow] = await db
    .select({ scriptLog: backtests.scriptLog })
    .from(backtests)
    .where(and(eq(backtests.id, id), eq(backtests.userId, userId)));
  const scriptLog = logRow?.scriptLog ?? null;
  if (summary.status !== 'completed') return { ...summary, trades: [], priceTick, amountStep, scriptLog };
  const rows = await db
    .select()
    .from(backtestTrades)
    .where(and(eq(backtestTrades.backtestId, id), eq(backtestTrades.userId, userId)))
    .orderBy(backtestTrades.seq);
  return {
    ...summary,
    priceTick,
    amountStep,
    scriptLog,
    trades: rows.map((t) => ({
      entryTime: msToIso(t.entryTime),
      exitTime: msToIso(t.exitTime),
      entryPrice: floatToDecimalString(t.entryPrice),
      exitPrice: floatToDecimalString(t.exitPrice),
      quantity: floatToDecimalString(t.quantity),
      fee: floatToDecimalString(t.fee),
      pnl: floatToDecimalString(t.pnl),
      pnlPct: floatToDecimalString(t.pnlPct),
      exitReason: t.exitReason as BacktestTrade['exitReason'],
      symbol: t.symbol ?? summary.symbol,
    })),
  };
}

/** The downsampled equity, drawdown and price series (empty until completed). */
export async function getBacktestEquity(db: DbOrTx, userId: string, id: string): Promise<BacktestEquityView> {
  const [row] = await db
    .select({
      time: backtests.chartTime,
      equity: backtests.chartEquity,
      drawdownPct: backtests.chartDrawdownPct,
      close: backtests.chartClose,
      pairEquity: backtests.chartPairEquity,
    })
    .from(backtests)
    .where(and(eq(backtests.id, id), eq(backtests.userId, userId)));
  if (!row) throw AppError.notFound('backtest');
  return { id, time: row.time ?? [], equity: row.equity ?? [], drawdownPct: row.drawdownPct ?? [], close: row.close ?? [], pairEquity: row.pairEquity ?? [] };
}

/**
 * Cancels a queued or running backtest: a queued one at once, a running one at its worker's next progress
 * report. A finished one is left as it is (409).
 */
export async function cancelBacktestForUser(db: Db, userId: string, id: string): Promise<BacktestSummaryView> {
  const summary = await getBacktestSummary(db, userId, id);
  if (summary.status !== 'queued' && summary.status !== 'running') {
    throw new AppError('CONFLICT', `the backtest is ${summary.status}; only a queued or running one can be canceled`);
  }
  // The job and the row change together: a queued one is canceled in both, and the job's event goes out at the commit.
  await db.transaction(async (tx) => {
    const [row] = await tx
      .select({ jobId: backtests.jobId })
      .from(backtests)
      .where(and(eq(backtests.id, id), eq(backtests.userId, userId)));
    const job = row?.jobId ? await requestJobCancel(tx, row.jobId, userId) : null;
    if (!job || job.status === 'canceled') {
      await tx
        .update(backtests)
        .set({ status: 'canceled', error: 'canceled by the user', finishedAt: sql`now()` })
        .where(and(eq(backtests.id, id), eq(backtests.userId, userId), inArray(backtests.status, ['queued', 'running'])));
    }
  });
  return getBacktestSummary(db, userId, id);
}

/** The pnl (quote) of every trade of the user's backtest, in order, as the engine's doubles (for the robustness lab). */
export async function getBacktestTradePnl(db: DbOrTx, userId: string, id: string): Promise<Float64Array> {
  const rows = await db
    .select({ pnl: backtestTrades.pnl })
    .from(backtestTrades)
    .where(and(eq(backtestTrades.backtestId, id), eq(backtestTrades.userId, userId)))
    .orderBy(backtestTrades.seq);
  return Float64Array.from(rows, (r) => r.pnl);
}
