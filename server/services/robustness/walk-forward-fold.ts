/**
 * The `robustness.walk-forward-fold` job: fold k of a stored walk-forward searched over its candles (fold-search.ts)
 * and stored under the row's lock; the job that finds every fold in stitches the out-of-sample runs. A failure fails
 * the walk-forward and stops its other folds.
 */
import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { walkForwards } from '@/db/schema';
import { BacktestCancelledError } from '@/server/core/backtest/types';
import { sliceByTime } from '@/server/core/candles';
import { stitchOutOfSample, walkForwardEfficiency, type OutOfSamplePart } from '@/server/core/robustness/walk-forward';
import { isScriptType } from '@/server/core/scripts/script-type';
import { timeframeToMs } from '@/server/core/timeframe';
import { failureMessage, interruptionReason, loadCandlesOrFail } from '@/server/services/backtests/run-job';
import { WALK_FORWARD_FOLD_JOB_TYPE, type JobContext, type JobHandler, type JobPayload } from '@/server/services/jobs/contract';
import { requestJobCancel } from '@/server/services/jobs/queue';
import { backtestCell, searchFold, windowTimes, type FoldCandles, type RunCandidates } from './fold-search';
import { isPairListWindow, loadPairListWindow, slicePairList } from './pair-list-folds';
import { scriptFoldStrategy } from './script-folds';
import { ACTIVE, configOf, walkForwardRow, type FoldResult, type Row, type StitchedResult, type StoredSpec } from './walk-forward-row';

type Payload = JobPayload<typeof WALK_FORWARD_FOLD_JOB_TYPE>;

/** Fold `fold` of a stored walk-forward: its candles from the database, then searchFold with progress on the job. */
/** The row's candles over [start, end): every pair's for a pair list (pair-list-folds.ts), else its market's. */
async function loadFoldCandles(db: Db, row: Row, start: number, end: number): Promise<FoldCandles> {
  const pairList = (row.spec as unknown as StoredSpec).pairList;
  return pairList ? loadPairListWindow(db, { ...row, ...pairList }, start, end) : loadCandlesOrFail(db, row, start, end);
}

function sliceCandles(candles: FoldCandles, start: number, end: number): FoldCandles {
  return isPairListWindow(candles) ? slicePairList(candles, start, end) : sliceByTime(candles, start, end);
}

async function runFold(ctx: JobContext<Payload>, row: Row, fold: number, runCandidates: RunCandidates, signal: AbortSignal): Promise<FoldResult> {
  const spec = row.spec as unknown as StoredSpec;
  const window = row.windows[fold]!;
  await ctx.progress(0.01, 'loading candles');
  const series = await loadFoldCandles(ctx.db, row, window.inSample.start, window.outOfSample.end);
  const script = isScriptType(row.strategyType) ? await scriptFoldStrategy(ctx.db, row.userId, row.strategyType) : null;
  return searchFold(
    sliceCandles(series, window.inSample.start, window.inSample.end),
    sliceCandles(series, window.outOfSample.start, window.outOfSample.end),
    {
      strategyType: row.strategyType,
      baseParams: row.baseParams,
      space: spec.space,
      search: spec.search,
      objective: { objective: spec.objective, drawdownWeight: spec.drawdownWeight, minTrades: spec.minTrades },
      config: configOf(row),
      ...(script ? { strategy: script.strategy } : {}),
    },
    fold,
    script ? script.runCandidates : runCandidates,
    { signal, onProgress: (done, total) => void ctx.progress(0.02 + 0.93 * (done / total), `${done} of ${total} trials`).catch(() => {}) },
  );
}

/** Stores fold `fold`'s result under the row's lock, unless the walk-forward stopped meanwhile or the fold is already in. */
async function storeFold(db: Db, id: string, fold: number, result: FoldResult): Promise<void> {
  await db.transaction(async (tx) => {
    const [row] = await tx.select().from(walkForwards).where(eq(walkForwards.id, id)).for('update');
    if (!row || !ACTIVE.includes(row.status) || row.foldResults[fold]) return;
    const foldResults = [...row.foldResults];
    foldResults[fold] = result as unknown as Record<string, unknown>;
    await tx.update(walkForwards).set({ foldResults }).where(eq(walkForwards.id, id));
  });
}

/**
 * Once every fold is in: re-runs each fold's chosen cell over its out-of-sample window (the same backtest as the fold
 * ran; only metrics were stored) and stitches them. Two jobs finishing together may both compute it; the first write wins,
 * and both computed the same bytes.
 */
async function stitchIfComplete(ctx: JobContext<Payload>, id: string): Promise<void> {
  const [row] = await ctx.db.select().from(walkForwards).where(eq(walkForwards.id, id));
  if (!row || !ACTIVE.includes(row.status) || row.result || row.foldResults.some((r) => !r)) return;
  await ctx.progress(0.97, 'stitching the out-of-sample runs');
  const config = configOf(row);
  const first = row.windows[0]!.outOfSample.start;
  const last = row.windows[row.windows.length - 1]!.outOfSample.end;
  const series = await loadFoldCandles(ctx.db, row, first, last);
  const folds = row.foldResults as unknown as FoldResult[];
  const script = isScriptType(row.strategyType) ? (await scriptFoldStrategy(ctx.db, row.userId, row.strategyType)).strategy : null;
  const parts: OutOfSamplePart[] = [];
  for (const [k, w] of row.windows.entries()) {
    const part = sliceCandles(series, w.outOfSample.start, w.outOfSample.end);
    const params = folds[k]!.params;
    if (!params) {
      const time = windowTimes(part);
      parts.push({ series: { time, length: time.length }, run: null });
      continue;
    }
    const run = await backtestCell(part, { strategyType: row.strategyType, config, ...(script ? { strategy: script } : {}) }, params);
    parts.push({ series: { time: run.time, length: run.time.length }, run: { equity: run.equity, trades: run.trades, metrics: run.metrics } });
  }
  const stitched = stitchOutOfSample(parts, row.initialCapital, timeframeToMs(row.timeframe));
  const chosenFolds = folds.filter((f) => f.inSampleMetrics);
  const spec = row.spec as unknown as StoredSpec;
  const result: StitchedResult = {
    outOfSampleMetrics: stitched.metrics,
    efficiency: walkForwardEfficiency(
      stitched.metrics.cagrPct,
      chosenFolds.map((f) => f.inSampleMetrics!.cagrPct),
    ),
    equity: stitched.equity,
    stability: Object.fromEntries(Object.keys(spec.space).map((name) => [name, folds.map((f) => f.chosen?.[name] ?? null)])),
    trials: folds.reduce((n, f) => n + f.trials, 0),
  };
  await ctx.db
    .update(walkForwards)
    .set({ status: 'completed', progress: 1, result: result as unknown as Record<string, unknown>, finishedAt: sql`now()` })
    .where(and(eq(walkForwards.id, id), inArray(walkForwards.status, ACTIVE), isNull(walkForwards.result)));
}

async function failWalkForward(db: Db, row: Row, userId: string, message: string): Promise<void> {
  const [failed] = await db
    .update(walkForwards)
    .set({ status: 'failed', error: message, finishedAt: sql`now()` })
    .where(and(eq(walkForwards.id, row.id), inArray(walkForwards.status, ACTIVE)))
    .returning({ id: walkForwards.id });
  // The other folds have nothing left to contribute: stop them.
  if (failed) for (const jobId of row.foldJobIds) await requestJobCancel(db, jobId, userId).catch(() => {});
}

/** The `robustness.walk-forward-fold` job; `runCandidates` is the sweep thread pool in the worker (see sweep-job.ts). */
export function createWalkForwardFoldHandler(runCandidates: RunCandidates): JobHandler<Payload> {
  return {
    async abandon(ctx, message) {
      const [row] = await ctx.db.select().from(walkForwards).where(eq(walkForwards.id, ctx.payload.walkForwardId));
      if (row) await failWalkForward(ctx.db, row, ctx.job.userId ?? '', message);
    },
    async run(ctx) {
      const { walkForwardId, fold } = ctx.payload;
      const userId = ctx.job.userId ?? '';
      const row = await walkForwardRow(ctx.db, userId, walkForwardId).catch(() => null);
      if (!row) throw new Error(`walk-forward ${walkForwardId} not found`);
      if (!ACTIVE.includes(row.status)) return { walkForwardId, fold, skipped: row.status };
      const abort = new AbortController();
      const onShutdown = () => abort.abort();
      ctx.signal.addEventListener('abort', onShutdown, { once: true });
      let interruption: unknown = null;
      const guarded: JobContext<Payload> = {
        ...ctx,
        progress: (fraction, message) =>
          ctx.progress(fraction, message).catch((error: unknown) => {
            interruption = error;
            abort.abort();
            throw error;
          }),
      };
      try {
        await ctx.db
          .update(walkForwards)
          .set({ status: 'running', startedAt: sql`coalesce(${walkForwards.startedAt}, now())` })
          .where(and(eq(walkForwards.id, walkForwardId), eq(walkForwards.status, 'queued')));
        if (!row.foldResults[fold]) await storeFold(ctx.db, walkForwardId, fold, await runFold(guarded, row, fold, runCandidates, abort.signal));
        await stitchIfComplete(guarded, walkForwardId);
        return { walkForwardId, fold };
      } catch (caught) {
        const error = caught instanceof BacktestCancelledError && interruption ? interruption : caught;
        if (interruptionReason(error) === null && !(error instanceof BacktestCancelledError)) {
          await failWalkForward(ctx.db, row, userId, `fold ${fold}: ${failureMessage(error, ctx.job.id)}`);
        }
        throw error;
      } finally {
        ctx.signal.removeEventListener('abort', onShutdown);
      }
    },
  };
}
