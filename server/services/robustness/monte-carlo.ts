import { randomInt } from 'node:crypto';
import type { Db, DbOrTx } from '@/db/client';
import { AppError } from '@/server/core/errors';
import { isUuid } from '@/server/core/ids';
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
import { and, eq, getTableColumns, sql } from 'drizzle-orm';
import { jobs } from '@/db/schema';
import {
  JobInterrupted,
  MONTE_CARLO_JOB_TYPE,
  MONTE_CARLO_SHARD_JOB_TYPE,
  type JobContext,
  type JobHandler,
  type JobPayload,
} from '@/server/services/jobs/contract';
import { enqueueJob, failQueuedJob, getSharedJob, releaseHeldJob, requestJobCancel, type Job } from '@/server/services/jobs/queue';
import { jobFailureMessage, robustnessJobView, type RobustnessJobState } from './jobs';

export { MONTE_CARLO_JOB_TYPE, MONTE_CARLO_SHARD_JOB_TYPE };

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

/**
 * The study's view from its job; a sharded study waiting for its shards (`shards`: their jobs) reads as running once
 * one has started, with the progress of its runs over every shard.
 */
function toView(job: Job, shards: readonly Job[]): MonteCarloView {
  const payload = job.payload as Payload;
  const summary = job.status === 'completed' ? (job.result as unknown as MonteCarloSummary & { blockBars: number | null }) : null;
  const state = robustnessJobView(job);
  if (shards.length > 0 && shards.some((s) => s.status !== 'queued')) {
    const done = shards.reduce((sum, s) => sum + (s.status === 'completed' ? 1 : s.progress) * (Number(s.payload.to) - Number(s.payload.from)), 0);
    state.status = 'running';
    state.progress = Math.min(0.95, 0.95 * (done / payload.runs));
    state.progressMessage = `${shards.filter((s) => s.status === 'completed').length} of ${shards.length} shards done`;
  }
  const base = {
    ...state,
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
export async function createMonteCarlo(
  db: Db,
  userId: string,
  backtestId: string,
  input: CreateMonteCarloInput,
  options: { /** steps per shard instead of the method's default (tests) */ shardSteps?: number } = {},
): Promise<MonteCarloView> {
  const backtest = await getBacktestSummary(db, userId, backtestId);
  if (backtest.status !== 'completed') throw new AppError('CONFLICT', `the backtest is ${backtest.status}; Monte Carlo needs a completed one`);
  const bars = backtest.barCount ?? 0;
  if (input.method === 'blocks') {
    if (backtest.symbols)
      throw AppError.validation([
        {
          field: 'method',
          message: 'price-path resampling re-runs strategies on one market so far (this backtest trades a pair list); use shuffle or bootstrap',
        },
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
  const shards = monteCarloShardCount(input.method, input.runs, input.method === 'blocks' ? bars : (backtest.metrics?.tradeCount ?? 0), options.shardSteps);
  // The study and its shards in one transaction: no shard without its study, no held study without its shards.
  const job = await db.transaction(async (tx) => {
    const study = await enqueueJob(tx, {
      type: MONTE_CARLO_JOB_TYPE,
      userId,
      held: shards > 1,
      payload: {
        backtestId,
        method: input.method,
        runs: input.runs,
        seed: input.seed ?? randomInt(0, MAX_SEED + 1),
        blockBars: input.method === 'blocks' ? (input.blockBars ?? defaultBlockBars(bars)) : null,
        ruinDrawdownPct: input.ruinDrawdownPct,
        ...(shards > 1 && { shards }),
      },
    });
    for (let k = 0; k < shards && shards > 1; k++)
      await enqueueJob(tx, { type: MONTE_CARLO_SHARD_JOB_TYPE, userId, payload: { studyId: study.id, shard: k, ...shardRange(input.runs, shards, k) } });
    return study;
  });
  return toView(job, []);
}

/**
 * The study's job row, its result read only once it is the summary: while shards run, the row holds their runs'
 * figures (megabytes for a large study), which a progress poll has no use for.
 */
async function monteCarloJob(db: DbOrTx, userId: string, id: string): Promise<Job> {
  if (!isUuid(id)) throw AppError.notFound('Monte Carlo study');
  const [job] = await db
    .select({ ...getTableColumns(jobs), result: sql<Job['result']>`case when ${jobs.status} = 'completed' then ${jobs.result} end` })
    .from(jobs)
    .where(and(eq(jobs.id, id), eq(jobs.userId, userId), eq(jobs.type, MONTE_CARLO_JOB_TYPE)));
  if (!job) throw AppError.notFound('Monte Carlo study');
  return job;
}

export async function getMonteCarloForUser(db: DbOrTx, userId: string, id: string): Promise<MonteCarloView> {
  const job = await monteCarloJob(db, userId, id);
  return toView(job, job.status === 'queued' && (job.payload as Payload).shards ? await shardJobs(db, id) : []);
}

/** Cancels a queued or running study: the study job and every shard (queued ones at once, running ones at their next progress report). */
export async function cancelMonteCarloForUser(db: Db, userId: string, id: string): Promise<MonteCarloView> {
  const job = await monteCarloJob(db, userId, id);
  if (job.status !== 'queued' && job.status !== 'running')
    throw new AppError('CONFLICT', `the Monte Carlo study is ${job.status}; only a queued or running one can be canceled`);
  const canceled = await db.transaction(async (tx) => {
    const study = await requestJobCancel(tx, id, userId);
    for (const shard of await shardJobs(tx, id)) await requestJobCancel(tx, shard.id, userId);
    return study;
  });
  return toView(canceled, []);
}

/** Engine steps (bars, or trades) per batch between progress reports (and cancel checks). */
const STEPS_PER_BATCH = 1_000_000;
/**
 * Steps per shard (docs/robustness.md, "Across workers"): a study with more is split into shard jobs that any worker
 * takes. A block run re-runs the strategy on every bar (about a microsecond a bar); a trade run only walks the trades.
 */
const SHARD_STEPS = { blocks: 2_000_000, trades: 50_000_000 };
export const MAX_MONTE_CARLO_SHARDS = 8;

/** How many shard jobs a study of `runs` runs of `stepsPerRun` steps gets (1: the study job runs them itself). */
export function monteCarloShardCount(method: MonteCarloMethod, runs: number, stepsPerRun: number, shardSteps?: number): number {
  const perShard = shardSteps ?? (method === 'blocks' ? SHARD_STEPS.blocks : SHARD_STEPS.trades);
  return Math.max(1, Math.min(MAX_MONTE_CARLO_SHARDS, runs, Math.ceil((runs * Math.max(1, stepsPerRun)) / perShard)));
}

/** Shard k's runs [from, to): `runs` split as evenly as whole runs allow. */
export function shardRange(runs: number, shards: number, k: number): { from: number; to: number } {
  return { from: Math.floor((runs * k) / shards), to: Math.floor((runs * (k + 1)) / shards) };
}

type ShardPayload = JobPayload<typeof MONTE_CARLO_SHARD_JOB_TYPE>;
/** A shard's runs as stored in the study job's row: each Float64Array as base64 (exact doubles). */
type EncodedRuns = { finals: string; drawdowns: string; points: string };

const encode = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
function decode(text: string): Float64Array {
  const bytes = Buffer.from(text, 'base64');
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Float64Array(copy.buffer);
}

/**
 * The study's plan (every run's seeded stream is the same wherever it runs) and the steps of one run; `dispose`
 * frees what the plan holds (a script's isolate) once it has run.
 */
async function studyPlan(
  ctx: JobContext<unknown>,
  userId: string,
  payload: Payload,
): Promise<{ plan: MonteCarloPlan; stepsPerRun: number; dispose?: () => void }> {
  const { db } = ctx;
  const backtest = await getBacktestSummary(db, userId, payload.backtestId);
  const options = { runs: payload.runs, seed: payload.seed, ruinDrawdownPct: payload.ruinDrawdownPct };
  if (payload.method === 'blocks') {
    await ctx.progress(0.01, 'loading candles');
    const series = await loadCandlesOrFail(db, backtest, Date.parse(backtest.start), Date.parse(backtest.end));
    const config = {
      initialCapital: Number(backtest.initialCapital),
      feeRate: Number(backtest.feeRate),
      slippage: Number(backtest.slippage),
      timeframe: backtest.timeframe,
    };
    const blockBars = payload.blockBars ?? defaultBlockBars(series.length);
    if (isScriptType(backtest.strategyType)) {
      // The sandbox is native and worker-only: loaded here, never by the web app that imports this module.
      const { scriptBlockPlan } = await import('./script-paths');
      const { plan, dispose } = await scriptBlockPlan(db, userId, backtest.strategyType, backtest.params, series, config, blockBars, options);
      return { plan, stepsPerRun: series.length, dispose };
    }
    const plan = blockMonteCarlo(series, () => createStrategy(backtest.strategyType, backtest.params), config, blockBars, options);
    return { plan, stepsPerRun: series.length };
  }
  const pnl = await getBacktestTradePnl(db, userId, payload.backtestId);
  return { plan: tradeMonteCarlo(payload.method, pnl, Number(backtest.initialCapital), options), stepsPerRun: pnl.length };
}

/** Runs [from, to) of the plan in batches, reporting progress over [0.02, 0.95) of the job. */
async function runRange(ctx: JobContext<unknown>, plan: MonteCarloPlan, stepsPerRun: number, from: number, to: number): Promise<void> {
  const batch = Math.max(1, Math.floor(STEPS_PER_BATCH / Math.max(1, stepsPerRun)));
  for (let at = from; at < to; at += batch) {
    await ctx.progress(0.02 + 0.93 * ((at - from) / (to - from)), `${at - from} of ${to - from} runs`);
    plan.runBatch(at, Math.min(to, at + batch));
  }
}

/**
 * The `robustness.monte-carlo` job, the study itself: runs every run in batches and stores the summary; or, split into
 * shards, is released once the shards have stored every run's figures in its row, and combines them into the summary
 * (the same bytes as one job running them all: each run has its own seeded stream).
 */
export const monteCarloHandler: JobHandler<Payload> = {
  async run(ctx: JobContext<Payload>): Promise<Record<string, unknown>> {
    const { payload } = ctx;
    try {
      const { plan, stepsPerRun, dispose } = await studyPlan(ctx, ctx.job.userId ?? '', payload);
      try {
        const shards = payload.shards ?? 1;
        if (shards === 1) await runRange(ctx, plan, stepsPerRun, 0, plan.runs);
        else {
          await ctx.progress(0.96, `combining ${shards} shards`);
          const stored = ((ctx.job.result ?? {}).shards ?? {}) as Record<string, EncodedRuns>;
          for (let k = 0; k < shards; k++) {
            const runs = stored[k];
            if (!runs) throw new Error(`shard ${k} of the Monte Carlo study has not stored its runs`);
            plan.importRuns(shardRange(plan.runs, shards, k).from, {
              finals: decode(runs.finals),
              drawdowns: decode(runs.drawdowns),
              points: decode(runs.points),
            });
          }
        }
        await ctx.progress(0.97, 'percentiles');
        return { ...plan.summary(), blockBars: payload.blockBars };
      } finally {
        dispose?.();
      }
    } catch (error) {
      throw jobFailureMessage(error, ctx.job.id);
    }
  },
};

/** The study's shard jobs, by shard number. */
async function shardJobs(db: DbOrTx, studyId: string): Promise<Job[]> {
  const rows = await db
    .select()
    .from(jobs)
    .where(and(eq(jobs.type, MONTE_CARLO_SHARD_JOB_TYPE), sql`${jobs.payload}->>'studyId' = ${studyId}`));
  return rows.sort((a, b) => Number(a.payload.shard) - Number(b.payload.shard));
}

/** Stores shard `shard`'s runs in the study's row under its lock; the shard that completes the set releases the study. */
async function storeShard(db: Db, studyId: string, shard: number, runs: EncodedRuns, shards: number): Promise<void> {
  await db.transaction(async (tx) => {
    const [study] = await tx.select().from(jobs).where(eq(jobs.id, studyId)).for('update');
    if (!study || study.status !== 'queued') return;
    const stored = { ...((study.result ?? {}).shards as Record<string, EncodedRuns> | undefined), [shard]: runs };
    await tx
      .update(jobs)
      .set({ result: { shards: stored } })
      .where(eq(jobs.id, studyId));
    if (Object.keys(stored).length === shards) await releaseHeldJob(tx, studyId);
  });
}

/** A shard failed for good: the study fails with its message, and its other shards are stopped. */
async function failStudy(db: Db, study: Job, message: string): Promise<void> {
  if (!(await failQueuedJob(db, study.id, message))) return;
  for (const shard of await shardJobs(db, study.id)) await requestJobCancel(db, shard.id, study.userId ?? '').catch(() => {});
}

/** The `robustness.monte-carlo-shard` job: runs [from, to) of a study, stored in the study's row. */
export const monteCarloShardHandler: JobHandler<ShardPayload> = {
  async abandon(ctx, message) {
    const study = await getSharedJob(ctx.db, ctx.payload.studyId, MONTE_CARLO_JOB_TYPE).catch(() => null);
    if (study) await failStudy(ctx.db, study, `shard ${ctx.payload.shard}: ${message}`);
  },
  async run(ctx: JobContext<ShardPayload>): Promise<Record<string, unknown>> {
    const { studyId, shard, from, to } = ctx.payload;
    const study = await getSharedJob(ctx.db, studyId, MONTE_CARLO_JOB_TYPE).catch(() => null);
    if (!study || study.status !== 'queued') return { studyId, shard, skipped: study?.status ?? 'missing' };
    const payload = study.payload as Payload;
    try {
      const { plan, stepsPerRun, dispose } = await studyPlan(ctx, study.userId ?? '', payload);
      let runs: ReturnType<MonteCarloPlan['exportRuns']>;
      try {
        await runRange(ctx, plan, stepsPerRun, from, to);
        runs = plan.exportRuns(from, to);
      } finally {
        dispose?.();
      }
      await storeShard(
        ctx.db,
        studyId,
        shard,
        { finals: encode(runs.finals), drawdowns: encode(runs.drawdowns), points: encode(runs.points) },
        payload.shards ?? 1,
      );
      return { studyId, shard, runs: to - from };
    } catch (error) {
      const failure = jobFailureMessage(error, ctx.job.id);
      if (!(failure instanceof JobInterrupted)) await failStudy(ctx.db, study, `shard ${shard}: ${failure.message}`);
      throw failure;
    }
  },
};
