import { randomInt } from 'node:crypto';
import type { Db, DbOrTx } from '@/db/client';
import { annualisationFactor, runBacktest, runPortfolioBacktest } from '@/server/core/backtest';
import { lowerBound } from '@/server/core/candles';
import { AppError } from '@/server/core/errors';
import { MAX_SEED } from '@/server/core/robustness/random';
import { deflatedSharpeOfChosen, permutationTest } from '@/server/core/robustness/significance';
import { createStrategy } from '@/server/core/strategies';
import { timeframeToMs } from '@/server/core/timeframe';
import { getBacktestForUser, getBacktestSummary } from '@/server/services/backtests/backtests';
import { loadCandlesOrFail, loadPairCandlesOrFail, portfolioConfig } from '@/server/services/backtests/run-candles';
import { getSweepForUser } from '@/server/services/backtests/sweeps';
import { SIGNIFICANCE_JOB_TYPE, type JobContext, type JobHandler, type JobPayload } from '@/server/services/jobs/contract';
import { enqueueJob, getJobForUser, requestJobCancel, type Job } from '@/server/services/jobs/queue';
import { jobFailureMessage, robustnessJobView, type RobustnessJobState } from './jobs';

export { SIGNIFICANCE_JOB_TYPE };

type Payload = JobPayload<typeof SIGNIFICANCE_JOB_TYPE>;

export interface SignificanceView extends RobustnessJobState {
  kind: 'permutation' | 'deflated-sharpe';
  /** the backtest (permutation) or sweep (deflated Sharpe) it is about */
  subjectId: string;
  runs: number | null;
  seed: number | null;
  /** null until completed */
  result: Record<string, unknown> | null;
}

function toView(job: Job): SignificanceView {
  const payload = job.payload as Payload;
  return {
    ...robustnessJobView(job),
    kind: payload.kind,
    subjectId: payload.kind === 'permutation' ? payload.backtestId : payload.sweepId,
    runs: payload.kind === 'permutation' ? payload.runs : null,
    seed: payload.kind === 'permutation' ? payload.seed : null,
    result: job.status === 'completed' ? (job.result ?? null) : null,
  };
}

/** Queues a permutation test of a completed backtest's mean trade return (a backtest without trades: 422 naming backtestId). */
export async function createPermutationTest(db: Db, userId: string, backtestId: string, input: { runs: number; seed?: number }): Promise<SignificanceView> {
  const backtest = await getBacktestSummary(db, userId, backtestId);
  if (backtest.status !== 'completed') throw new AppError('CONFLICT', `the backtest is ${backtest.status}; the test needs a completed one`);
  if ((backtest.metrics?.tradeCount ?? 0) === 0) throw AppError.validation([{ field: 'backtestId', message: 'the backtest has no trades to test' }]);
  const job = await enqueueJob(db, {
    type: SIGNIFICANCE_JOB_TYPE,
    userId,
    payload: { kind: 'permutation', backtestId, runs: input.runs, seed: input.seed ?? randomInt(0, MAX_SEED + 1) },
  });
  return toView(job);
}

/** Queues the deflated Sharpe ratio of a completed sweep's best cell (by Sharpe ratio). */
export async function createDeflatedSharpe(db: Db, userId: string, sweepId: string): Promise<SignificanceView> {
  const sweep = await getSweepForUser(db, userId, sweepId);
  if (sweep.status !== 'completed') throw new AppError('CONFLICT', `the sweep is ${sweep.status}; the deflated Sharpe ratio needs a completed one`);
  if (!sweep.results.some((r) => r.metrics !== null))
    throw AppError.validation([{ field: 'sweepId', message: 'no combination of the sweep produced metrics' }]);
  const job = await enqueueJob(db, { type: SIGNIFICANCE_JOB_TYPE, userId, payload: { kind: 'deflated-sharpe', sweepId } });
  return toView(job);
}

async function significanceJob(db: DbOrTx, userId: string, id: string): Promise<Job> {
  const job = await getJobForUser(db, id, userId).catch(() => null);
  if (!job || job.type !== SIGNIFICANCE_JOB_TYPE) throw AppError.notFound('significance test');
  return job;
}

export async function getSignificanceForUser(db: DbOrTx, userId: string, id: string): Promise<SignificanceView> {
  return toView(await significanceJob(db, userId, id));
}

export async function cancelSignificanceForUser(db: Db, userId: string, id: string): Promise<SignificanceView> {
  const job = await significanceJob(db, userId, id);
  if (job.status !== 'queued' && job.status !== 'running')
    throw new AppError('CONFLICT', `the test is ${job.status}; only a queued or running one can be canceled`);
  return toView(await requestJobCancel(db, id, userId));
}

async function runPermutation(ctx: JobContext<Payload>, payload: Extract<Payload, { kind: 'permutation' }>, userId: string): Promise<Record<string, unknown>> {
  const backtest = await getBacktestForUser(ctx.db, userId, payload.backtestId);
  await ctx.progress(0.05, 'loading candles');
  const series = await loadCandlesOrFail(ctx.db, backtest, Date.parse(backtest.start), Date.parse(backtest.end));
  // Trade times are the open times of the bars they filled on (docs/backtesting.md): their indexes in the series.
  const holdingBars = backtest.trades.map((t) => lowerBound(series.time, Date.parse(t.exitTime)) - lowerBound(series.time, Date.parse(t.entryTime)));
  await ctx.progress(0.2, `${payload.runs} random placements`);
  const result = permutationTest(
    series,
    { holdingBars, meanTradePct: backtest.metrics!.averageTradePct, feeRate: Number(backtest.feeRate), slippage: Number(backtest.slippage) },
    { runs: payload.runs, seed: payload.seed },
  );
  return { ...result };
}

async function runDeflatedSharpe(
  ctx: JobContext<Payload>,
  payload: Extract<Payload, { kind: 'deflated-sharpe' }>,
  userId: string,
): Promise<Record<string, unknown>> {
  const sweep = await getSweepForUser(ctx.db, userId, payload.sweepId);
  const annualise = annualisationFactor(timeframeToMs(sweep.timeframe));
  const cells = sweep.results.filter((r) => r.metrics !== null);
  let best = 0;
  for (let i = 1; i < cells.length; i++) if (cells[i]!.metrics!.sharpeRatio > cells[best]!.metrics!.sharpeRatio) best = i;
  await ctx.progress(0.1, 'loading candles');
  const [startTime, endTime] = [Date.parse(sweep.start), Date.parse(sweep.end)];
  const config = { initialCapital: Number(sweep.initialCapital), feeRate: Number(sweep.feeRate), slippage: Number(sweep.slippage), timeframe: sweep.timeframe };
  const params = cells[best]!.params;
  let equity: Float64Array;
  if (sweep.symbols && sweep.capital) {
    // A pair-list sweep: its best cell is a portfolio backtest (backtests/portfolio-sweep.ts); its equity per step.
    const { symbols, capital } = sweep;
    const series = await loadPairCandlesOrFail(ctx.db, { exchange: sweep.exchange, timeframe: sweep.timeframe, symbols, startTime, endTime });
    await ctx.progress(0.5, 're-running the best combination');
    const pairs = symbols.map((symbol, p) => ({ symbol, series: series[p]!, strategy: createStrategy(sweep.strategyType, params) }));
    equity = runPortfolioBacktest(pairs, portfolioConfig(config, capital)).equity;
  } else {
    const series = await loadCandlesOrFail(ctx.db, sweep, startTime, endTime);
    await ctx.progress(0.5, 're-running the best combination');
    equity = runBacktest(series, createStrategy(sweep.strategyType, params), config).equity;
  }
  const dsr = deflatedSharpeOfChosen(
    cells.map((c) => c.metrics!.sharpeRatio),
    annualise,
    equity,
  );
  return { ...dsr, bestParams: cells[best]!.params, bestSharpeRatio: cells[best]!.metrics!.sharpeRatio };
}

/** The `robustness.significance` job: a permutation test of a backtest, or the deflated Sharpe ratio of a sweep's best cell. */
export const significanceHandler: JobHandler<Payload> = {
  async run(ctx: JobContext<Payload>): Promise<Record<string, unknown>> {
    const userId = ctx.job.userId ?? '';
    try {
      return ctx.payload.kind === 'permutation' ? await runPermutation(ctx, ctx.payload, userId) : await runDeflatedSharpe(ctx, ctx.payload, userId);
    } catch (error) {
      throw jobFailureMessage(error, ctx.job.id);
    }
  },
};
