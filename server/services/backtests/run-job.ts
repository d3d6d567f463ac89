import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { backtests, strategies, type BacktestStatus } from '@/db/schema';
import { runBacktest, runPortfolioBacktest, type BacktestConfig, type BacktestResult, type PortfolioResult, type TradeLog } from '@/server/core/backtest';
import { AppError } from '@/server/core/errors';
import { isScriptType } from '@/server/core/scripts/script-type';
import { runnableScript, type RunnableScript } from '@/server/services/scripts/scripts';
import { ScriptRuntimeError } from '@/server/services/scripts/errors';
import { failedScriptLog } from '@/server/services/scripts/script-log';
import type { CandleSeries } from '@/server/core/candles';
import type { PairBreakdownRow, ScriptLogRow } from '@/db/schema/backtests';
import { createStrategy } from '@/server/core/strategies';
import { StrategyParamsError } from '@/server/core/strategies/params';
import { JobInterrupted, type BACKTEST_JOB_TYPE, type JobContext, type JobHandler, type JobPayload } from '@/server/services/jobs/contract';
import { applyStrategyEvent } from '@/server/services/strategies/strategies';
import { BacktestRunError, loadCandlesOrFail, loadPairCandlesOrFail, portfolioConfig } from './run-candles';
import { downsampleChart, type ChartSeries } from './downsample';
import { storeBacktestChart, type ComputedPlots } from './chart-store';

export { BacktestRunError, loadCandlesOrFail };

export type BacktestJobContext = JobContext<JobPayload<typeof BACKTEST_JOB_TYPE>>;

/** Why the job runner interrupted the handler, or null for any other error. */
export function interruptionReason(error: unknown): JobInterrupted['reason'] | null {
  return error instanceof JobInterrupted ? error.reason : null;
}

/** The message stored for a failed run: ours as is, anything unexpected by reference to the worker log. */
export function failureMessage(error: unknown, jobId: string): string {
  if (error instanceof BacktestRunError || error instanceof RangeError || error instanceof StrategyParamsError || error instanceof ScriptRuntimeError)
    return error.message.slice(0, 2000);
  return `internal error while running (job ${jobId}; see the worker log)`;
}

/** Script version `type` as the user may read it now; otherwise the run fails with the reason. */
export async function scriptOrFail(db: DbOrTx, userId: string, type: string): Promise<RunnableScript> {
  try {
    return await runnableScript(db, userId, type);
  } catch (error) {
    if (error instanceof AppError) throw new BacktestRunError(error.details?.fields?.[0]?.message ?? error.message);
    throw error;
  }
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
): Promise<{ result: BacktestResult; scriptHash: string; scriptLog: ScriptLogRow; plots: ComputedPlots | null; plotsError?: string }> {
  const script = await scriptOrFail(db, userId, type);
  const { runScriptBacktest } = await import('@/server/services/scripts/run');
  // The script's plots too, in the same isolate, for the run's stored chart (the web app cannot compute them).
  const { result, log, plots, plotsError } = await runScriptBacktest(type, script.compiled, series, params, config, undefined, script.meta, { plots: true });
  return {
    result,
    scriptHash: script.hash,
    scriptLog: { lines: [...log.lines], dropped: log.dropped },
    plots: plots ? { specs: script.meta.plots, values: plots } : null,
    ...(plotsError ? { plotsError } : {}),
  };
}

/** Builds the comma-separated body of a Postgres array literal from numbers (shortest exact repr). */
function arrayLiteral(values: ArrayLike<number | string>): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) out += (i ? ',' : '') + String(values[i]);
  return `${out}}`;
}

/** All trades of a backtest in ONE insert statement (unnest over column arrays), read from the engine's compact log. */
async function insertTrades(
  db: Pick<Db, 'execute'>,
  backtestId: string,
  userId: string,
  trades: TradeLog,
  pairs?: { symbols: readonly string[]; tradePair: Int32Array },
): Promise<void> {
  const n = trades.length;
  if (n === 0) return;
  const seq = new Array<number>(n);
  for (let i = 0; i < n; i++) seq[i] = i;
  const c = trades.columns();
  // A pair list's trades carry their symbol (symbols are [A-Z0-9./:_-]: nothing to quote in an array literal).
  if (pairs) {
    const symbols = Array.from(pairs.tradePair, (p) => pairs.symbols[p]!);
    await db.execute(sql`
      insert into backtest_trades (backtest_id, user_id, seq, entry_time, exit_time, entry_price, exit_price, quantity, fee, pnl, pnl_pct, exit_reason, symbol)
      select ${backtestId}::uuid, ${userId}::uuid, u.*
      from unnest(${arrayLiteral(seq)}::int[], ${arrayLiteral(c.entryTime)}::bigint[], ${arrayLiteral(c.exitTime)}::bigint[],
        ${arrayLiteral(c.entryPrice)}::float8[], ${arrayLiteral(c.exitPrice)}::float8[], ${arrayLiteral(c.quantity)}::float8[],
        ${arrayLiteral(c.fee)}::float8[], ${arrayLiteral(c.pnl)}::float8[], ${arrayLiteral(c.pnlPct)}::float8[], ${arrayLiteral(c.exitReason)}::text[],
        ${arrayLiteral(symbols)}::text[]) as u`);
    return;
  }
  await db.execute(sql`
    insert into backtest_trades (backtest_id, user_id, seq, entry_time, exit_time, entry_price, exit_price, quantity, fee, pnl, pnl_pct, exit_reason)
    select ${backtestId}::uuid, ${userId}::uuid, u.*
    from unnest(${arrayLiteral(seq)}::int[], ${arrayLiteral(c.entryTime)}::bigint[], ${arrayLiteral(c.exitTime)}::bigint[],
      ${arrayLiteral(c.entryPrice)}::float8[], ${arrayLiteral(c.exitPrice)}::float8[], ${arrayLiteral(c.quantity)}::float8[],
      ${arrayLiteral(c.fee)}::float8[], ${arrayLiteral(c.pnl)}::float8[], ${arrayLiteral(c.pnlPct)}::float8[], ${arrayLiteral(c.exitReason)}::text[]) as u`);
}

/** What one run produced, single market or pair list, in the shape the row stores. */
interface RunOutcome {
  metrics: Record<string, number | null>;
  barCount: number;
  chart: ChartSeries;
  chartPairEquity: number[][] | null;
  pairs: PairBreakdownRow[] | null;
  tradeLog: TradeLog;
  tradePairs?: { symbols: readonly string[]; tradePair: Int32Array };
}

/**
 * A pair list's chart: the portfolio equity downsampled over the steps (no single close price: `close` is empty), and
 * each pair's running contribution at the chosen times (its latest bar at or before each; 0 before its first bar).
 */
function pairListChart(result: PortfolioResult, series: readonly CandleSeries[]): { chart: ChartSeries; pairEquity: number[][] } {
  const steps = {
    length: result.time.length,
    time: result.time,
    open: result.equity,
    high: result.equity,
    low: result.equity,
    close: result.equity,
    volume: result.equity,
  };
  const chart = { ...downsampleChart(steps, result.equity), close: [] };
  const pairEquity = result.pairs.map((pair, p) => {
    const times = series[p]!.time;
    const out = new Array<number>(chart.time.length);
    let cursor = -1;
    for (let k = 0; k < chart.time.length; k++) {
      while (cursor + 1 < times.length && times[cursor + 1]! <= chart.time[k]!) cursor++;
      out[k] = cursor < 0 ? 0 : pair.equity[cursor]!;
    }
    return out;
  });
  return { chart, pairEquity };
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
    const config = { initialCapital: row.initialCapital, feeRate: row.feeRate, slippage: row.slippage, timeframe: row.timeframe };
    let outcome: RunOutcome;
    let read: number, engineStarted: number, engineDone: number;
    let scriptHash: string | null = null;
    let scriptLog: ScriptLogRow | null = null;
    /** the run's candles, kept for its stored price chart (a pair list's is stored on its first chart request) */
    let chartSeries: CandleSeries | undefined;
    /** a script's plots, computed by its sandbox (a built-in's are computed by chart-store) */
    let chartPlots: ComputedPlots | undefined;
    let plotsError: string | undefined;
    if (row.symbols && row.capital) {
      // A pair list (docs/backtesting.md, "Pair lists"): one strategy instance per pair, shared capital.
      const { symbols, capital } = row;
      const series = await loadPairCandlesOrFail(db, { ...row, symbols });
      read = performance.now();
      const barCount = series.reduce((sum, s) => sum + s.length, 0);
      await ctx.progress(0.3, `running over ${barCount} bars of ${symbols.length} pairs`);
      engineStarted = performance.now();
      const result = runPortfolioBacktest(
        symbols.map((symbol, p) => ({ symbol, series: series[p]!, strategy: createStrategy(row.strategyType, row.params) })),
        portfolioConfig(config, capital),
      );
      engineDone = performance.now();
      const { chart, pairEquity } = pairListChart(result, series);
      outcome = {
        metrics: result.metrics as unknown as Record<string, number | null>,
        barCount,
        chart,
        chartPairEquity: pairEquity,
        pairs: result.pairs.map(({ equity: _equity, ...pair }) => pair),
        tradeLog: result.tradeLog,
        tradePairs: { symbols, tradePair: result.tradePair },
      };
    } else {
      const series = await loadCandlesOrFail(db, row, row.startTime, row.endTime);
      chartSeries = series;
      read = performance.now();
      await ctx.progress(0.3, `running over ${series.length} bars`);
      engineStarted = performance.now();
      let result: BacktestResult;
      if (isScriptType(row.strategyType)) {
        const ran = await runScript(db, userId, row.strategyType, series, row.params, config);
        result = ran.result;
        scriptHash = ran.scriptHash;
        scriptLog = ran.scriptLog;
        // No plots computed (none declared, or the script's plotValues failed): the chart is stored without plots.
        chartPlots = ran.plots ?? { specs: [], values: {} };
        plotsError = ran.plotsError;
      } else {
        result = runBacktest(series, createStrategy(row.strategyType, row.params), config);
      }
      engineDone = performance.now();
      outcome = {
        metrics: result.metrics as unknown as Record<string, number | null>,
        barCount: series.length,
        chart: downsampleChart(series, result.equity),
        chartPairEquity: null,
        pairs: null,
        tradeLog: result.tradeLog,
      };
    }
    const { chart } = outcome;
    const charted = performance.now();
    // The last chance to honour a cancel before the results become visible.
    await ctx.progress(0.9, 'storing results');
    const storeStarted = performance.now();
    let tradesStored = storeStarted;
    let chartStoreError: string | undefined;
    const completed = await db.transaction(async (tx) => {
      const [done] = await tx
        .update(backtests)
        .set({
          status: 'completed',
          progress: 1,
          metrics: outcome.metrics,
          barCount: outcome.barCount,
          pairs: outcome.pairs,
          chartPairEquity: outcome.chartPairEquity,
          scriptHash,
          scriptLog,
          chartTime: chart.time,
          chartEquity: chart.equity,
          chartDrawdownPct: chart.drawdownPct,
          chartClose: chart.close,
          finishedAt: sql`now()`,
        })
        .where(scope)
        .returning({ id: backtests.id });
      if (!done) return false;
      await insertTrades(tx, backtestId, userId, outcome.tradeLog, outcome.tradePairs);
      // "backtested" means the strategy as configured now has a completed backtest.
      const [current] = await tx
        .select()
        .from(strategies)
        .where(and(eq(strategies.id, row.strategyId), eq(strategies.userId, userId)));
      const sameConfig =
        current &&
        current.exchange === row.exchange &&
        current.symbol === row.symbol &&
        JSON.stringify(current.symbols) === JSON.stringify(row.symbols) &&
        JSON.stringify(current.capital) === JSON.stringify(row.capital) &&
        current.timeframe === row.timeframe &&
        JSON.stringify(current.params) === JSON.stringify(row.params);
      if (sameConfig) await applyStrategyEvent(tx, userId, row.strategyId, 'backtest_completed');
      tradesStored = performance.now();
      return true;
    });
    // The price chart's plots and per-width aggregates (chart-store.ts), stored right after the results commit, in a
    // transaction of their own: for a year of 1-minute bars that is ~16 MB and most of a second, which the completion
    // (what a REST client waits for) does not wait on. A chart request meanwhile waits for this store rather than
    // making its own (chart-window.ts); if it fails, the first chart request stores it.
    if (completed && !row.symbols) {
      try {
        await db.transaction((tx) => storeBacktestChart(tx, { ...row, id: backtestId }, chartSeries, chartPlots));
      } catch (error) {
        chartStoreError = error instanceof Error ? error.message : String(error);
      }
    }
    const done = performance.now();
    const stored = completed ? tradesStored : done;
    // Where the time went (ms), kept with the job's result: bench/rest-backtest.ts reports it.
    const ms = (value: number) => Math.round(value * 10) / 10;
    const timings = {
      readMs: ms(read - started),
      engineMs: ms(engineDone - engineStarted),
      chartMs: ms(charted - engineDone),
      storeMs: ms(stored - storeStarted),
      chartStoreMs: ms(done - stored),
      totalMs: ms(done - started),
    };
    return {
      backtestId,
      bars: outcome.barCount,
      trades: outcome.tradeLog.length,
      timings,
      ...(chartStoreError ? { chartStoreError } : {}),
      ...(plotsError ? { plotsError } : {}),
    };
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
        .set({ status: 'failed', error: failureMessage(error, job.id), scriptLog: failedScriptLog(error), finishedAt: sql`now()` })
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
