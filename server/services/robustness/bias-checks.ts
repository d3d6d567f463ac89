import type { Db, DbOrTx } from '@/db/client';
import { AppError } from '@/server/core/errors';
import { scriptWarmup } from '@/server/core/scripts/description';
import { isScriptType } from '@/server/core/scripts/script-type';
import { checkLookahead, checkRecursive, recursiveMinimumBars, recursiveSettleBars, type BiasFinding } from '@/server/core/robustness/bias';
import { createStrategy, getStrategyDefinition, parseParams } from '@/server/core/strategies';
import { msToIso } from '@/server/core/time';
import { timeframeToMs } from '@/server/core/timeframe';
import { assertRunnable } from '@/server/services/backtests/run-spec';
import { loadCandlesOrFail, scriptOrFail } from '@/server/services/backtests/run-job';
import { runnableScript } from '@/server/services/scripts/scripts';
import type { CandleSeries } from '@/server/core/candles';
import { BIAS_CHECK_JOB_TYPE, type JobContext, type JobHandler, type JobPayload } from '@/server/services/jobs/contract';
import { enqueueJob, getJobForUser, requestJobCancel, type Job } from '@/server/services/jobs/queue';
import { getStrategyRow } from '@/server/services/strategies/strategies';
import { jobFailureMessage, robustnessJobView, type RobustnessJobState } from './jobs';

export { BIAS_CHECK_JOB_TYPE };

/** The capital, fee and slippage the look-ahead backtests run with (a backtest request's defaults; decisions rarely depend on them). */
const CHECK_CONFIG = { initialCapital: 10_000, feeRate: 0.001, slippage: 0.0005 };

export interface BiasCheckView extends RobustnessJobState {
  strategyId: string;
  strategyType: string;
  exchange: string;
  symbol: string;
  timeframe: string;
  /** ISO 8601, UTC: the candles with start ≤ time < end */
  start: string;
  end: string;
  /** null until completed */
  bars: number | null;
  settleBars: number | null;
  lookahead: BiasFindingView | null;
  recursive: BiasFindingView | null;
}

export interface BiasFindingView {
  passed: boolean;
  bar?: number;
  /** ISO 8601, UTC: the open time of `bar` */
  time?: string;
  detail?: string;
}

type Payload = JobPayload<typeof BIAS_CHECK_JOB_TYPE>;

function findingView(finding: BiasFinding): BiasFindingView {
  return {
    passed: finding.passed,
    ...(finding.bar !== undefined ? { bar: finding.bar } : {}),
    ...(finding.time !== undefined ? { time: msToIso(finding.time) } : {}),
    ...(finding.detail !== undefined ? { detail: finding.detail } : {}),
  };
}

function toView(job: Job): BiasCheckView {
  const payload = job.payload as Payload;
  const result =
    job.status === 'completed' ? (job.result as { bars: number; settleBars: number; lookahead: BiasFindingView; recursive: BiasFindingView } | null) : null;
  return {
    ...robustnessJobView(job),
    strategyId: payload.strategyId,
    strategyType: payload.strategyType,
    exchange: payload.exchange,
    symbol: payload.symbol,
    timeframe: payload.timeframe,
    start: msToIso(payload.startMs),
    end: msToIso(payload.endMs),
    bars: result?.bars ?? null,
    settleBars: result?.settleBars ?? null,
    lookahead: result?.lookahead ?? null,
    recursive: result?.recursive ?? null,
  };
}

/**
 * Queues a bias check of the user's strategy (its stored type and params, on its market) over start ≤ time < end.
 * A range too short for the recursive check, or without candles, is a 422 naming `start`.
 */
export async function createBiasCheck(db: Db, userId: string, strategyId: string, range: { start: number; end: number }): Promise<BiasCheckView> {
  const strategy = await getStrategyRow(db, userId, strategyId);
  // A script version the user may read now: its schema, and the warm-up it declares (scripts/warmup.ts; 0 undeclared).
  const script = isScriptType(strategy.type) ? await runnableScript(db, userId, strategy.type) : null;
  await assertRunnable(db, strategy, { strategyId, ...range, ...CHECK_CONFIG });
  const params = parseParams(script ? script.definition : getStrategyDefinition(strategy.type), strategy.params);
  const warmup = script ? scriptWarmup(script.meta, params) : createStrategy(strategy.type, params).warmup;
  const bars = Math.floor((range.end - range.start) / timeframeToMs(strategy.timeframe));
  const minimum = recursiveMinimumBars(warmup);
  if (bars < minimum) {
    throw AppError.validation([
      {
        field: 'start',
        message: `the range holds at most ${bars} ${strategy.timeframe} bars; the recursive check needs at least ${minimum} for this strategy's warm-up of ${warmup} bars (2 × ${recursiveSettleBars(warmup)} + 4)`,
      },
    ]);
  }
  const job = await enqueueJob(db, {
    type: BIAS_CHECK_JOB_TYPE,
    userId,
    payload: {
      strategyId,
      strategyType: strategy.type,
      params: params as Record<string, unknown>,
      exchange: strategy.exchange,
      symbol: strategy.symbol,
      timeframe: strategy.timeframe,
      startMs: range.start,
      endMs: range.end,
    },
  });
  return toView(job);
}

async function biasCheckJob(db: DbOrTx, userId: string, id: string): Promise<Job> {
  const job = await getJobForUser(db, id, userId).catch(() => null);
  if (!job || job.type !== BIAS_CHECK_JOB_TYPE) throw AppError.notFound('bias check');
  return job;
}

export async function getBiasCheckForUser(db: DbOrTx, userId: string, id: string): Promise<BiasCheckView> {
  return toView(await biasCheckJob(db, userId, id));
}

/** Cancels a queued or running check (a running one stops between its runs); a finished one is a 409. */
export async function cancelBiasCheckForUser(db: Db, userId: string, id: string): Promise<BiasCheckView> {
  const job = await biasCheckJob(db, userId, id);
  if (job.status !== 'queued' && job.status !== 'running')
    throw new AppError('CONFLICT', `the bias check is ${job.status}; only a queued or running one can be canceled`);
  return toView(await requestJobCancel(db, id, userId));
}

/** A script's checks, both in its sandbox (loaded on first use: the web app imports this module), as one step. */
async function scriptBiasCheck(ctx: JobContext<Payload>, series: CandleSeries): Promise<Record<string, unknown>> {
  const { payload } = ctx;
  const script = await scriptOrFail(ctx.db, ctx.job.userId ?? '', payload.strategyType);
  await ctx.progress(0.05, 'look-ahead and recursive checks, in the script sandbox');
  const { runScriptBiasCheck } = await import('@/server/services/scripts/run');
  const config = { ...CHECK_CONFIG, timeframe: payload.timeframe };
  const report = await runScriptBiasCheck(payload.strategyType, script.compiled, script.meta, series, payload.params, config);
  return { bars: report.bars, settleBars: report.settleBars, lookahead: findingView(report.lookahead), recursive: findingView(report.recursive) };
}

/** The `robustness.bias-check` job: loads the candles, runs the look-ahead check, then the recursive one. */
export const biasCheckHandler: JobHandler<Payload> = {
  async run(ctx: JobContext<Payload>): Promise<Record<string, unknown>> {
    const { payload } = ctx;
    try {
      await ctx.progress(0.02, 'loading candles');
      const series = await loadCandlesOrFail(ctx.db, payload, payload.startMs, payload.endMs);
      if (isScriptType(payload.strategyType)) return await scriptBiasCheck(ctx, series);
      const make = () => createStrategy(payload.strategyType, payload.params);
      const config = { ...CHECK_CONFIG, timeframe: payload.timeframe };
      await ctx.progress(0.05, 'look-ahead: three backtests');
      const lookahead = checkLookahead(series, make, config);
      await ctx.progress(0.75, 'recursive: re-runs with less history');
      const recursive = checkRecursive(series, make);
      return {
        bars: series.length,
        settleBars: recursiveSettleBars(make().warmup),
        lookahead: findingView(lookahead),
        recursive: findingView(recursive),
      };
    } catch (error) {
      throw jobFailureMessage(error, ctx.job.id);
    }
  },
};
