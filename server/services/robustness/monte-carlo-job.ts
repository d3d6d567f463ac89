/**
 * The Monte Carlo jobs on the worker (docs/robustness.md, "Monte Carlo" and "Across workers"): the study job, which
 * runs every run or combines its shards' stored runs into the summary, and the shard job, which runs a range of runs
 * and stores their figures in the study's row. monte-carlo.ts queues them and reads them back.
 */
import type { Db } from '@/db/client';
import { isScriptType } from '@/server/core/scripts/script-type';
import { blockMonteCarlo, defaultBlockBars, tradeMonteCarlo, type MonteCarloPlan } from '@/server/core/robustness/monte-carlo';
import { createStrategy } from '@/server/core/strategies';
import { getBacktestSummary, getBacktestTradePnl } from '@/server/services/backtests/backtests';
import { loadCandlesOrFail } from '@/server/services/backtests/run-job';
import { eq } from 'drizzle-orm';
import { jobs } from '@/db/schema';
import {
  JobInterrupted,
  MONTE_CARLO_JOB_TYPE,
  MONTE_CARLO_SHARD_JOB_TYPE,
  type JobContext,
  type JobHandler,
  type JobPayload,
} from '@/server/services/jobs/contract';
import { failQueuedJob, getSharedJob, releaseHeldJob, requestJobCancel, type Job } from '@/server/services/jobs/queue';
import { jobFailureMessage } from './jobs';
import { shardJobs, shardRange } from './monte-carlo';

type Payload = JobPayload<typeof MONTE_CARLO_JOB_TYPE>;

/** Engine steps (bars, or trades) per batch between progress reports (and cancel checks). */
const STEPS_PER_BATCH = 1_000_000;

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
