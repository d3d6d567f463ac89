import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { backtests, strategies, type BacktestStatus } from '@/db/schema';
import { runBacktest, type BacktestConfig, type BacktestResult, type TradeLog } from '@/server/core/backtest';
import { AppError } from '@/server/core/errors';
import { isScriptType } from '@/server/core/scripts/script-type';
import { runnableScript, type RunnableScript } from '@/server/services/scripts/scripts';
import type { CandleSeries } from '@/server/core/candles';
import { timeframeToMs } from '@/server/core/timeframe';
import { createStrategy } from '@/server/core/strategies';
import { JobInterrupted, type BACKTEST_JOB_TYPE, type JobContext, type JobHandler, type JobPayload } from '@/server/services/jobs/contract';
import { readCandleSeries } from '@/server/services/market-data/candles';
import { applyStrategyEvent } from '@/server/services/strategies/strategies';
import { downsampleChart } from './downsample';
import { msToIso } from '@/server/core/time';

export type BacktestJobContext = JobContext<JobPayload<typeof BACKTEST_JOB_TYPE>>;

/** A failure the user can act on; its message is stored on the row as is. */
export class BacktestRunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BacktestRunError';
  }
}

/** Why the job runner interrupted the handler, or null for any other error. */
export function interruptionReason(error: unknown): JobInterrupted['reason'] | null {
  return error instanceof JobInterrupted ? error.reason : null;
}

/** The message stored for a failed run: ours as is, anything unexpected by reference to the worker log. */
export function failureMessage(error: unknown, jobId: string): string {
  if (
    error instanceof BacktestRunError ||
    error instanceof RangeError ||
    (error instanceof Error && (error.name === 'StrategyParamsError' || error.name === 'ScriptRuntimeError'))
  )
    return error.message.slice(0, 2000);
  return `internal error while running (job ${jobId}; see the worker log)`;
}

/**
 * A script version's backtest, in the worker's sandbox (loaded on first use: the web app, which imports this module
 * for its types, never loads the native sandbox). The version is read again with the owner's scope: a script made
 * private meanwhile, or deleted, fails the run with a message.
 */
async function runScript(
  db: Db,
  userId: string,
  type: string,
  series: CandleSeries,
  params: Record<string, unknown>,
  config: BacktestConfig,
): Promise<{ result: BacktestResult; scriptHash: string }> {
  let script: RunnableScript;
  try {
    script = await runnableScript(db, userId, type);
  } catch (error) {
    if (error instanceof AppError) throw new BacktestRunError(error.details?.fields?.[0]?.message ?? error.message);
    throw error;
  }
  const { runScriptBacktest } = await import('@/server/services/scripts/run');
  const { result } = await runScriptBacktest(type, script.compiled, series, params, config, undefined, script.meta);
  return { result, scriptHash: script.hash };
}

/** Pre-sizes the read's columns for a range up to this many bars (a gap-free range then needs no regrowth). */
const PRESIZE_MAX_BARS = 1 << 21;

export async function loadCandlesOrFail(
  db: Db,
  key: { exchange: string; symbol: string; timeframe: string },
  startMs: number,
  endMs: number,
): Promise<CandleSeries> {
  const bars = Math.ceil((endMs - startMs) / timeframeToMs(key.timeframe));
  const series = await readCandleSeries(db, key, startMs, endMs, {
    expectedCount: Number.isFinite(bars) ? Math.max(16, Math.min(bars, PRESIZE_MAX_BARS)) : undefined,
  });
  if (series.length === 0) {
    throw new BacktestRunError(`no ${key.exchange} ${key.symbol} ${key.timeframe} candles between ${msToIso(startMs)} and ${msToIso(endMs)}`);
  }
  return series;
}

/** Builds the comma-separated body of a Postgres array literal from numbers (shortest exact repr). */
function arrayLiteral(values: ArrayLike<number | string>): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) out += (i ? ',' : '') + String(values[i]);
  return `${out}}`;
}

/** All trades of a backtest in ONE insert statement (unnest over column arrays), read from the engine's compact log. */
async function insertTrades(db: Pick<Db, 'execute'>, backtestId: string, userId: string, trades: TradeLog): Promise<void> {
  const n = trades.length;
  if (n === 0) return;
  const seq = new Array<number>(n);
  for (let i = 0; i < n; i++) seq[i] = i;
  const c = trades.columns();
  await db.execute(sql`
    insert into backtest_trades (backtest_id, user_id, seq, entry_time, exit_time, entry_price, exit_price, quantity, fee, pnl, pnl_pct, exit_reason)
    select ${backtestId}::uuid, ${userId}::uuid, u.*
    from unnest(${arrayLiteral(seq)}::int[], ${arrayLiteral(c.entryTime)}::bigint[], ${arrayLiteral(c.exitTime)}::bigint[],
      ${arrayLiteral(c.entryPrice)}::float8[], ${arrayLiteral(c.exitPrice)}::float8[], ${arrayLiteral(c.quantity)}::float8[],
      ${arrayLiteral(c.fee)}::float8[], ${arrayLiteral(c.pnl)}::float8[], ${arrayLiteral(c.pnlPct)}::float8[], ${arrayLiteral(c.exitReason)}::text[]) as u`);
}

const ACTIVE: BacktestStatus[] = ['queued', 'running'];

/**
 * The `backtest.run` job: loads the candles, runs the engine once over them, and stores metrics, trades
 * (one insert) and the downsampled chart series in one transaction. Idempotent per backtest: a job
 * picked up again after its worker died starts over, and one whose results were already committed stops.
 */
export async function runBacktestJob(ctx: BacktestJobContext): Promise<Record<string, unknown>> {
  const { db, job } = ctx;
  const { backtestId } = ctx.payload;
  const userId = job.userId ?? '';
  const [row] = await db
    .select()
    .from(backtests)
    .where(and(eq(backtests.id, backtestId), eq(backtests.userId, userId)));
  if (!row) throw new BacktestRunError(`backtest ${backtestId} not found`);
  if (!ACTIVE.includes(row.status)) return { backtestId, skipped: row.status };

  const scope = and(eq(backtests.id, backtestId), eq(backtests.userId, userId), inArray(backtests.status, ACTIVE));
  await db
    .update(backtests)
    .set({ status: 'running', startedAt: sql`coalesce(${backtests.startedAt}, now())`, error: null })
    .where(scope);
  try {
    const started = performance.now();
    await ctx.progress(0.02, 'loading candles');
    const series = await loadCandlesOrFail(db, row, row.startTime, row.endTime);
    const read = performance.now();
    await ctx.progress(0.3, `running over ${series.length} bars`);
    const engineStarted = performance.now();
    const config = { initialCapital: row.initialCapital, feeRate: row.feeRate, slippage: row.slippage, timeframe: row.timeframe };
    const { result, scriptHash } = isScriptType(row.strategyType)
      ? await runScript(db, userId, row.strategyType, series, row.params, config)
      : { result: runBacktest(series, createStrategy(row.strategyType, row.params), config), scriptHash: null };
    const engineDone = performance.now();
    const chart = downsampleChart(series, result.equity);
    const charted = performance.now();
    // The last chance to honour a cancel before the results become visible.
    await ctx.progress(0.9, 'storing results');
    const storeStarted = performance.now();
    await db.transaction(async (tx) => {
      const [done] = await tx
        .update(backtests)
        .set({
          status: 'completed',
          progress: 1,
          metrics: result.metrics as unknown as Record<string, number | null>,
          barCount: series.length,
          scriptHash,
          chartTime: chart.time,
          chartEquity: chart.equity,
          chartDrawdownPct: chart.drawdownPct,
          chartClose: chart.close,
          finishedAt: sql`now()`,
        })
        .where(scope)
        .returning({ id: backtests.id });
      if (!done) return;
      await insertTrades(tx, backtestId, userId, result.tradeLog);
      // "backtested" means the strategy as configured now has a completed backtest.
      const [current] = await tx
        .select()
        .from(strategies)
        .where(and(eq(strategies.id, row.strategyId), eq(strategies.userId, userId)));
      const sameConfig =
        current &&
        current.exchange === row.exchange &&
        current.symbol === row.symbol &&
        current.timeframe === row.timeframe &&
        JSON.stringify(current.params) === JSON.stringify(row.params);
      if (sameConfig) await applyStrategyEvent(tx, userId, row.strategyId, 'backtest_completed');
    });
    const done = performance.now();
    // Where the time went (ms), kept with the job's result: bench/rest-backtest.ts reports it.
    const ms = (value: number) => Math.round(value * 10) / 10;
    const timings = {
      readMs: ms(read - started),
      engineMs: ms(engineDone - engineStarted),
      chartMs: ms(charted - engineDone),
      storeMs: ms(done - storeStarted),
      totalMs: ms(done - started),
    };
    return { backtestId, bars: series.length, trades: result.tradeLog.length, timings };
  } catch (error) {
    const reason = interruptionReason(error);
    if (reason === 'canceled') {
      await db
        .update(backtests)
        .set({ status: 'canceled', error: 'canceled by the user', finishedAt: sql`now()` })
        .where(scope);
    } else if (reason === null) {
      await db
        .update(backtests)
        .set({ status: 'failed', error: failureMessage(error, job.id), finishedAt: sql`now()` })
        .where(scope);
    }
    // lease_lost: another worker owns the backtest now; leave the row to it.
    throw error;
  }
}

/** The handler registered for `backtest.run` in server/worker/loops.ts. */
export const backtestRunHandler: JobHandler<JobPayload<typeof BACKTEST_JOB_TYPE>> = {
  run: runBacktestJob,
  async abandon(ctx, message) {
    await ctx.db
      .update(backtests)
      .set({ status: 'failed', error: message, finishedAt: sql`now()` })
      .where(and(eq(backtests.id, ctx.payload.backtestId), eq(backtests.userId, ctx.job.userId ?? ''), inArray(backtests.status, ACTIVE)));
  },
};
