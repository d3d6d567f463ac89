import { randomInt } from 'node:crypto';
import type { Db, DbOrTx } from '@/db/client';
import { AppError } from '@/server/core/errors';
import { isScriptType } from '@/server/core/scripts/script-type';
import {
  blockMonteCarlo,
  defaultBlockBars,
  tradeMonteCarlo,
  type MonteCarloMethod,
  type MonteCarloPlan,
  type MonteCarloSummary,
} from '@/server/core/robustness/monte-carlo';
import { MAX_SEED } from '@/server/core/robustness/random';
import { createStrategy } from '@/server/core/strategies';
import { getBacktestSummary, getBacktestTradePnl } from '@/server/services/backtests/backtests';
import { loadCandlesOrFail } from '@/server/services/backtests/run-job';
import { MONTE_CARLO_JOB_TYPE, type JobContext, type JobHandler, type JobPayload } from '@/server/services/jobs/contract';
import { enqueueJob, getJobForUser, requestJobCancel, type Job } from '@/server/services/jobs/queue';
import { jobFailureMessage, robustnessJobView, type RobustnessJobState } from './jobs';

export { MONTE_CARLO_JOB_TYPE };

/** Runs per request (docs/robustness.md, "Monte Carlo"). */
export const MIN_MONTE_CARLO_RUNS = 1_000;
export const MAX_TRADE_MONTE_CARLO_RUNS = 100_000;
export const MAX_BLOCK_MONTE_CARLO_RUNS = 10_000;
/** runs × bars a blocks request may re-run (each bar of each path is one engine step). */
export const MAX_BLOCK_MONTE_CARLO_BARS = 100_000_000;

export interface CreateMonteCarloInput {
  method: MonteCarloMethod;
  runs: number;
  seed?: number;
  blockBars?: number;
  ruinDrawdownPct: number;
}

export interface MonteCarloView extends RobustnessJobState, Partial<Omit<MonteCarloSummary, 'runs'>> {
  backtestId: string;
  method: MonteCarloMethod;
  runs: number;
  seed: number;
  /** the block length used (blocks only; null for the trade methods) */
  blockBars: number | null;
  ruinDrawdownPct: number;
}

type Payload = JobPayload<typeof MONTE_CARLO_JOB_TYPE>;

function toView(job: Job): MonteCarloView {
  const payload = job.payload as Payload;
  const summary = job.status === 'completed' ? (job.result as unknown as MonteCarloSummary & { blockBars: number | null }) : null;
  const base = {
    ...robustnessJobView(job),
    backtestId: payload.backtestId,
    method: payload.method,
    runs: payload.runs,
    seed: payload.seed,
    blockBars: summary?.blockBars ?? payload.blockBars,
    ruinDrawdownPct: payload.ruinDrawdownPct,
  };
  if (!summary) return base;
  return {
    ...base,
    finalReturnPct: summary.finalReturnPct,
    maxDrawdownPct: summary.maxDrawdownPct,
    ruinProbability: summary.ruinProbability,
    bands: summary.bands,
    distributions: summary.distributions,
    original: summary.original,
  };
}

/**
 * Queues a Monte Carlo study of the user's completed backtest. A backtest still running is a 409; a trade method on a
 * backtest without trades, too many runs or a block longer than the bars is a 422 naming the field.
 */
export async function createMonteCarlo(db: Db, userId: string, backtestId: string, input: CreateMonteCarloInput): Promise<MonteCarloView> {
  const backtest = await getBacktestSummary(db, userId, backtestId);
  if (backtest.status !== 'completed') throw new AppError('CONFLICT', `the backtest is ${backtest.status}; Monte Carlo needs a completed one`);
  const bars = backtest.barCount ?? 0;
  if (input.method === 'blocks') {
    if (backtest.symbols || isScriptType(backtest.strategyType))
      throw AppError.validation([
        { field: 'method', message: 'price-path resampling re-runs built-in strategies on one market so far; use shuffle or bootstrap' },
      ]);
    if (bars < 3) throw AppError.validation([{ field: 'method', message: `price-path resampling needs at least 3 bars; the backtest has ${bars}` }]);
    if (input.runs > MAX_BLOCK_MONTE_CARLO_RUNS)
      throw AppError.validation([{ field: 'runs', message: `must be at most ${MAX_BLOCK_MONTE_CARLO_RUNS} for blocks (each run re-runs the strategy)` }]);
    if (input.runs * bars > MAX_BLOCK_MONTE_CARLO_BARS)
      throw AppError.validation([{ field: 'runs', message: `runs × bars must be at most ${MAX_BLOCK_MONTE_CARLO_BARS}; the backtest has ${bars} bars` }]);
    if (input.blockBars !== undefined && input.blockBars > bars - 1)
      throw AppError.validation([{ field: 'blockBars', message: `must be at most ${bars - 1} (the backtest's bars − 1)` }]);
  } else {
    if ((backtest.metrics?.tradeCount ?? 0) === 0)
      throw AppError.validation([
        { field: 'method', message: `the backtest has no trades to ${input.method === 'shuffle' ? 'shuffle' : 'resample'}; use blocks` },
      ]);
    if (input.blockBars !== undefined) throw AppError.validation([{ field: 'blockBars', message: 'applies to method blocks only' }]);
  }
  const job = await enqueueJob(db, {
    type: MONTE_CARLO_JOB_TYPE,
    userId,
    payload: {
      backtestId,
      method: input.method,
      runs: input.runs,
      seed: input.seed ?? randomInt(0, MAX_SEED + 1),
      blockBars: input.method === 'blocks' ? (input.blockBars ?? defaultBlockBars(bars)) : null,
      ruinDrawdownPct: input.ruinDrawdownPct,
    },
  });
  return toView(job);
}

async function monteCarloJob(db: DbOrTx, userId: string, id: string): Promise<Job> {
  const job = await getJobForUser(db, id, userId).catch(() => null);
  if (!job || job.type !== MONTE_CARLO_JOB_TYPE) throw AppError.notFound('Monte Carlo study');
  return job;
}

export async function getMonteCarloForUser(db: DbOrTx, userId: string, id: string): Promise<MonteCarloView> {
  return toView(await monteCarloJob(db, userId, id));
}

export async function cancelMonteCarloForUser(db: Db, userId: string, id: string): Promise<MonteCarloView> {
  const job = await monteCarloJob(db, userId, id);
  if (job.status !== 'queued' && job.status !== 'running')
    throw new AppError('CONFLICT', `the Monte Carlo study is ${job.status}; only a queued or running one can be canceled`);
  return toView(await requestJobCancel(db, id, userId));
}

/** Engine steps (bars, or trades) per batch between progress reports (and cancel checks). */
const STEPS_PER_BATCH = 1_000_000;

/** The `robustness.monte-carlo` job: reads the backtest's trades or candles, runs the plan in batches, stores the summary. */
export const monteCarloHandler: JobHandler<Payload> = {
  async run(ctx: JobContext<Payload>): Promise<Record<string, unknown>> {
    const { payload, db } = ctx;
    const userId = ctx.job.userId ?? '';
    try {
      const backtest = await getBacktestSummary(db, userId, payload.backtestId);
      const options = { runs: payload.runs, seed: payload.seed, ruinDrawdownPct: payload.ruinDrawdownPct };
      let plan: MonteCarloPlan;
      let stepsPerRun: number;
      if (payload.method === 'blocks') {
        await ctx.progress(0.01, 'loading candles');
        const series = await loadCandlesOrFail(db, backtest, Date.parse(backtest.start), Date.parse(backtest.end));
        const config = {
          initialCapital: Number(backtest.initialCapital),
          feeRate: Number(backtest.feeRate),
          slippage: Number(backtest.slippage),
          timeframe: backtest.timeframe,
        };
        plan = blockMonteCarlo(
          series,
          () => createStrategy(backtest.strategyType, backtest.params),
          config,
          payload.blockBars ?? defaultBlockBars(series.length),
          options,
        );
        stepsPerRun = series.length;
      } else {
        const pnl = await getBacktestTradePnl(db, userId, payload.backtestId);
        plan = tradeMonteCarlo(payload.method, pnl, Number(backtest.initialCapital), options);
        stepsPerRun = pnl.length;
      }
      const batch = Math.max(1, Math.floor(STEPS_PER_BATCH / Math.max(1, stepsPerRun)));
      for (let from = 0; from < plan.runs; from += batch) {
        await ctx.progress(0.02 + 0.93 * (from / plan.runs), `${from} of ${plan.runs} runs`);
        plan.runBatch(from, Math.min(plan.runs, from + batch));
      }
      await ctx.progress(0.97, 'percentiles');
      return { ...plan.summary(), blockBars: payload.blockBars };
    } catch (error) {
      throw jobFailureMessage(error, ctx.job.id);
    }
  },
};
