import { randomInt } from 'node:crypto';
import type { Db, DbOrTx } from '@/db/client';
import { AppError } from '@/server/core/errors';
import { isUuid } from '@/server/core/ids';
import { defaultBlockBars, type MonteCarloMethod, type MonteCarloSummary } from '@/server/core/robustness/monte-carlo';
import { MAX_SEED } from '@/server/core/robustness/random';
import { getBacktestSummary } from '@/server/services/backtests/backtests';
import { and, eq, getTableColumns, sql } from 'drizzle-orm';
import { jobs } from '@/db/schema';
import { MONTE_CARLO_JOB_TYPE, MONTE_CARLO_SHARD_JOB_TYPE, type JobPayload } from '@/server/services/jobs/contract';
import { enqueueJob, requestJobCancel, type Job } from '@/server/services/jobs/queue';
import { robustnessJobView, type RobustnessJobState } from './jobs';

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

/** The study's shard jobs, by shard number. */
export async function shardJobs(db: DbOrTx, studyId: string): Promise<Job[]> {
  const rows = await db
    .select()
    .from(jobs)
    .where(and(eq(jobs.type, MONTE_CARLO_SHARD_JOB_TYPE), sql`${jobs.payload}->>'studyId' = ${studyId}`));
  return rows.sort((a, b) => Number(a.payload.shard) - Number(b.payload.shard));
}
