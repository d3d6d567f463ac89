/**
 * Walk-forward optimization as a service (docs/robustness.md, "Walk-forward optimization"): a request is validated
 * up front (422 naming the field), stored as a `walk_forwards` row, and split into one `robustness.walk-forward-fold`
 * job per fold, so any number of workers share it. A fold job searches its in-sample window through the sweep
 * kernels (the worker's thread pool), backtests the chosen cell out of sample, and stores its result in the row
 * under the row's lock; the job that finds every fold in stitches the out-of-sample runs. Progress and cancel span
 * every fold's job; a killed worker's fold is taken over by another when its lease expires (a stored fold is not
 * re-run). The result depends only on the request, never on which worker ran which fold.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { walkForwards, type BacktestStatus } from '@/db/schema';
import { annualisationFactor, ENGINE_VERSION, runBacktest } from '@/server/core/backtest';
import type { BacktestConfig, BacktestMetrics } from '@/server/core/backtest/types';
import { BacktestCancelledError } from '@/server/core/backtest/types';
import { allocateSharedSeries, sliceByTime, type CandleSeries } from '@/server/core/candles';
import { AppError } from '@/server/core/errors';
import { floatToDecimalString } from '@/server/core/money/decimal';
import { MAX_SEED } from '@/server/core/robustness/random';
import { deflatedSharpeOfChosen, type ChosenSharpe } from '@/server/core/robustness/significance';
import {
  bestTrial,
  buildAxes,
  cellKey,
  cellParams,
  DEFAULT_WALK_FORWARD_TRIALS,
  gridSize,
  MAX_WALK_FORWARD_TRIALS,
  neighbourhood,
  objectiveScore,
  planFolds,
  stitchOutOfSample,
  WalkForwardError,
  WalkForwardSearch,
  walkForwardEfficiency,
  type FoldSpec,
  type FoldWindows,
  type Neighbourhood,
  type ObjectiveOptions,
  type OutOfSamplePart,
  type ScoredTrial,
  type SearchAxis,
  type SearchMethod,
  type SearchSpace,
  type WalkForwardObjective,
} from '@/server/core/robustness/walk-forward';
import { isScriptType } from '@/server/core/scripts/script-type';
import { runnableScript } from '@/server/services/scripts/scripts';
import { scriptFoldStrategy, type FoldStrategy } from './script-folds';
import { createStrategy, getStrategyDefinition } from '@/server/core/strategies';
import { paramsSchema } from '@/server/core/strategies/params';
import { isSignalStrategyType } from '@/server/core/strategies/signal';
import { msToIso } from '@/server/core/time';
import { timeframeToMs } from '@/server/core/timeframe';
import { failureMessage, interruptionReason, loadCandlesOrFail } from '@/server/services/backtests/run-job';
import { assertRunnable, type RunSpec } from '@/server/services/backtests/run-spec';
import { WALK_FORWARD_FOLD_JOB_TYPE, type JobContext, type JobHandler, type JobPayload } from '@/server/services/jobs/contract';
import { enqueueJob, requestJobCancel } from '@/server/services/jobs/queue';
import { getStrategyRow } from '@/server/services/strategies/strategies';
import { jobs } from '@/db/schema';
import type { WalkForwardFoldView, WalkForwardView } from './views';

export { WALK_FORWARD_FOLD_JOB_TYPE };

export interface CreateWalkForwardInput extends RunSpec {
  folds: FoldSpec;
  anchored: boolean;
  space: SearchSpace;
  search: { method: SearchMethod; trials?: number; seed?: number };
  objective: WalkForwardObjective;
  drawdownWeight: number;
  minTrades: number;
}

/** What the row's `spec` holds: the request's search settings, with the seed and trial count resolved. */
interface StoredSpec {
  folds: FoldSpec;
  anchored: boolean;
  space: SearchSpace;
  search: { method: SearchMethod; trials: number; seed: number };
  objective: WalkForwardObjective;
  drawdownWeight: number;
  minTrades: number;
}

/** One fold's stored result (times in ms; the view turns them into ISO strings). */
export interface FoldResult {
  /** the full validated params of the chosen cell; null when no trial was feasible (the fold then holds cash) */
  params: Record<string, unknown> | null;
  /** the chosen values of the searched parameters only */
  chosen: Record<string, unknown> | null;
  objective: number | null;
  /** trials proposed, distinct cells evaluated, and the feasible ones among them */
  trials: number;
  evaluated: number;
  feasible: number;
  inSampleMetrics: BacktestMetrics | null;
  outOfSampleMetrics: BacktestMetrics | null;
  neighbourhood: Neighbourhood | null;
  /**
   * The chosen cell's in-sample Sharpe ratio deflated for the distinct cells the fold evaluated (docs/robustness.md,
   * "Significance"); null when nothing was feasible, and on folds stored before it was computed.
   */
  deflatedSharpe?: ChosenSharpe | null;
  /** bars in the windows */
  inSampleBars: number;
  outOfSampleBars: number;
}

interface StitchedResult {
  outOfSampleMetrics: BacktestMetrics;
  efficiency: number | null;
  equity: Array<{ time: number; equity: number }>;
  stability: Record<string, Array<unknown>>;
  trials: number;
}

export type { WalkForwardFoldView, WalkForwardView };

type Row = typeof walkForwards.$inferSelect;
type Payload = JobPayload<typeof WALK_FORWARD_FOLD_JOB_TYPE>;
const ACTIVE: BacktestStatus[] = ['queued', 'running'];

function validation(field: string, message: string): AppError {
  return AppError.validation([{ field, message }]);
}

/** The largest warm-up over the space's corner cells (every ordinal axis at its largest value), or over each axis's largest value alone. */
function largestWarmup(type: string, axes: readonly SearchAxis[], base: Record<string, unknown>): number {
  // A script's warm-up is known only in its sandbox: a window too short for it gives its fold no trades.
  if (isScriptType(type)) return 0;
  const schema = paramsSchema(getStrategyDefinition(type));
  const warmup = (params: Record<string, unknown>) => {
    const parsed = schema.safeParse(params);
    return parsed.success ? createStrategy(type, parsed.data).warmup : 0;
  };
  const corner = axes.map((a) => (a.ordinal ? a.values.length - 1 : 0));
  let most = warmup(cellParams(axes, corner, base));
  for (let a = 0; a < axes.length; a++) {
    const cell = axes.map(() => 0);
    cell[a] = axes[a]!.values.length - 1;
    most = Math.max(most, warmup(cellParams(axes, cell, base)));
  }
  return most;
}

/** Validates the request (422 naming the field), stores the walk-forward and queues one job per fold, in one transaction. */
export async function createWalkForward(db: Db, userId: string, input: CreateWalkForwardInput): Promise<WalkForwardView> {
  const strategy = await getStrategyRow(db, userId, input.strategyId);
  if (isSignalStrategyType(strategy.type))
    throw new AppError('CONFLICT', 'a signal strategy decides nothing on bars: there is nothing to optimise (docs/signals.md)');
  if (strategy.symbols) throw validation('strategyId', 'walk-forward runs over one market; this strategy trades a pair list');
  const definition = isScriptType(strategy.type) ? (await runnableScript(db, userId, strategy.type)).definition : getStrategyDefinition(strategy.type);
  const tfMs = timeframeToMs(strategy.timeframe);
  let windows: FoldWindows[];
  let axes: SearchAxis[];
  try {
    axes = buildAxes(definition, input.space, strategy.params);
    windows = planFolds(input.start, input.end, tfMs, input.folds, input.anchored);
  } catch (error) {
    if (error instanceof WalkForwardError) throw validation(error.field, error.message);
    throw error;
  }
  if (input.search.trials !== undefined && input.search.trials > MAX_WALK_FORWARD_TRIALS)
    throw validation('search.trials', `must be at most ${MAX_WALK_FORWARD_TRIALS} per fold`);
  const cells = gridSize(axes);
  if (input.search.method === 'grid') {
    if (cells > MAX_WALK_FORWARD_TRIALS)
      throw validation(
        'space',
        `the grid has ${cells} cells, more than the maximum of ${MAX_WALK_FORWARD_TRIALS} trials per fold; narrow it or use random or tpe`,
      );
    if (input.search.trials !== undefined && input.search.trials !== cells)
      throw validation('search.trials', `a grid runs each of its ${cells} cells once; leave trials out`);
  }
  const trials = input.search.method === 'grid' ? cells : (input.search.trials ?? DEFAULT_WALK_FORWARD_TRIALS);
  const warmup = largestWarmup(strategy.type, axes, strategy.params);
  const shortest = Math.min(...windows.flatMap((w) => [w.inSample.end - w.inSample.start, w.outOfSample.end - w.outOfSample.start])) / tfMs;
  if (shortest <= warmup)
    throw validation(
      'folds',
      `the shortest window has ${shortest} bars, not more than the warm-up of ${warmup} bars the space needs; use longer windows or fewer folds`,
    );
  await assertRunnable(db, strategy, input);

  const spec: StoredSpec = {
    folds: input.folds,
    anchored: input.anchored,
    space: input.space,
    search: { method: input.search.method, trials, seed: input.search.seed ?? randomInt(0, MAX_SEED + 1) },
    objective: input.objective,
    drawdownWeight: input.drawdownWeight,
    minTrades: input.minTrades,
  };
  const id = randomUUID();
  await db.transaction(async (tx) => {
    await tx.insert(walkForwards).values({
      id,
      userId,
      strategyId: strategy.id,
      strategyType: strategy.type,
      exchange: strategy.exchange,
      symbol: strategy.symbol,
      timeframe: strategy.timeframe,
      startTime: input.start,
      endTime: input.end,
      initialCapital: input.initialCapital,
      feeRate: input.feeRate,
      slippage: input.slippage,
      engineVersion: ENGINE_VERSION,
      baseParams: strategy.params,
      spec: spec as unknown as Record<string, unknown>,
      windows,
      foldJobIds: [],
      foldResults: windows.map(() => null),
    });
    const jobIds: string[] = [];
    for (let fold = 0; fold < windows.length; fold++) {
      const job = await enqueueJob(tx, { type: WALK_FORWARD_FOLD_JOB_TYPE, userId, payload: { walkForwardId: id, fold } });
      jobIds.push(job.id);
    }
    await tx.update(walkForwards).set({ foldJobIds: jobIds }).where(eq(walkForwards.id, id));
  });
  return getWalkForwardForUser(db, userId, id);
}

async function walkForwardRow(db: DbOrTx, userId: string, id: string): Promise<Row> {
  const [row] = await db
    .select()
    .from(walkForwards)
    .where(and(eq(walkForwards.id, id), eq(walkForwards.userId, userId)));
  if (!row) throw AppError.notFound('walk-forward');
  return row;
}

export async function getWalkForwardForUser(db: DbOrTx, userId: string, id: string): Promise<WalkForwardView> {
  const row = await walkForwardRow(db, userId, id);
  let progress = row.status === 'completed' ? 1 : 0;
  if (row.status === 'running' && row.foldJobIds.length > 0) {
    const foldJobs = await db.select({ id: jobs.id, progress: jobs.progress }).from(jobs).where(inArray(jobs.id, row.foldJobIds));
    const byId = new Map(foldJobs.map((j) => [j.id, j.progress]));
    const done = row.foldResults.reduce<number>((sum, r, k) => sum + (r ? 1 : (byId.get(row.foldJobIds[k]!) ?? 0)), 0);
    // The last step (stitching) is the final 1%.
    progress = Math.min(0.99, done / row.foldJobIds.length);
  }
  return toView(row, progress);
}

function toView(row: Row, progress: number): WalkForwardView {
  const spec = row.spec as unknown as StoredSpec;
  const result = row.status === 'completed' ? (row.result as unknown as StitchedResult | null) : null;
  return {
    id: row.id,
    status: row.status,
    progress,
    error: row.status === 'failed' || row.status === 'canceled' ? row.error : null,
    strategyId: row.strategyId,
    strategyType: row.strategyType,
    exchange: row.exchange,
    symbol: row.symbol,
    timeframe: row.timeframe,
    start: msToIso(row.startTime),
    end: msToIso(row.endTime),
    initialCapital: floatToDecimalString(row.initialCapital),
    feeRate: floatToDecimalString(row.feeRate),
    slippage: floatToDecimalString(row.slippage),
    anchored: spec.anchored,
    foldSpec: spec.folds,
    space: spec.space,
    search: spec.search,
    objective: spec.objective,
    drawdownWeight: spec.drawdownWeight,
    minTrades: spec.minTrades,
    engineVersion: row.engineVersion,
    createdAt: row.createdAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
    folds: row.windows.map((w, fold) => {
      const stored = row.foldResults[fold] as FoldResult | null | undefined;
      return {
        fold,
        status: stored ? 'completed' : 'pending',
        inSample: { start: msToIso(w.inSample.start), end: msToIso(w.inSample.end) },
        outOfSample: { start: msToIso(w.outOfSample.start), end: msToIso(w.outOfSample.end) },
        ...(stored ?? {}),
      };
    }),
    outOfSampleMetrics: result?.outOfSampleMetrics ?? null,
    efficiency: result?.efficiency ?? null,
    equity: result?.equity ?? [],
    stability: result?.stability ?? null,
    totalTrials: result?.trials ?? null,
  };
}

/** Cancels a queued or running walk-forward: the row at once, every fold job (queued ones at once, running ones at their next progress report). */
export async function cancelWalkForwardForUser(db: Db, userId: string, id: string): Promise<WalkForwardView> {
  const row = await walkForwardRow(db, userId, id);
  if (!ACTIVE.includes(row.status)) throw new AppError('CONFLICT', `the walk-forward is ${row.status}; only a queued or running one can be canceled`);
  await db.transaction(async (tx) => {
    await tx
      .update(walkForwards)
      .set({ status: 'canceled', error: 'canceled by the user', finishedAt: sql`now()` })
      .where(and(eq(walkForwards.id, id), inArray(walkForwards.status, ACTIVE)));
    for (const jobId of row.foldJobIds) await requestJobCancel(tx, jobId, userId);
  });
  return getWalkForwardForUser(db, userId, id);
}

// The fold job ------------------------------------------------------------------------------------

/** Runs a batch's parameter sets over the in-sample candles; the worker passes the sweep thread pool (sweep-job.ts). */
export type RunCandidates = (
  job: { series: CandleSeries; strategyType: string; combos: Array<Record<string, unknown>>; config: BacktestConfig; seriesKey?: string },
  options: { signal: AbortSignal; onProgress: (done: number, total: number) => void },
) => Promise<Array<{ metrics: BacktestMetrics | null }>>;

function configOf(row: Row): BacktestConfig {
  return { initialCapital: row.initialCapital, feeRate: row.feeRate, slippage: row.slippage, timeframe: row.timeframe };
}

/** What one fold searches: the strategy, its base params, the space, the search and the objective (a stored spec). */
export interface FoldSearchSpec {
  strategyType: string;
  baseParams: Record<string, unknown>;
  space: SearchSpace;
  search: { method: SearchMethod; trials: number; seed: number };
  objective: ObjectiveOptions;
  config: BacktestConfig;
  /** a script version's schema and backtest (script-folds.ts); absent: the built-in `strategyType` */
  strategy?: FoldStrategy;
}

/**
 * Fold `fold`'s search over its in-sample candles (batches from WalkForwardSearch, each distinct cell run once through
 * `runCandidates`, a repeated proposal reusing its score) and the out-of-sample backtest of the best cell. Pure apart
 * from `runCandidates` and `onProgress` (trials done, total); the bench runs it too.
 */
export async function searchFold(
  inSample: CandleSeries,
  outOfSample: CandleSeries,
  spec: FoldSearchSpec,
  fold: number,
  runCandidates: RunCandidates,
  options: { signal: AbortSignal; onProgress: (done: number, total: number) => void },
): Promise<FoldResult> {
  const definition = spec.strategy?.definition ?? getStrategyDefinition(spec.strategyType);
  const schema = paramsSchema(definition);
  const axes = buildAxes(definition, spec.space, spec.baseParams);
  const search = new WalkForwardSearch(axes, spec.search.method, spec.search.trials, spec.search.seed, fold);
  // One shared copy of the in-sample candles for every batch (the sweep pool maps it instead of copying per batch).
  const shared = allocateSharedSeries(inSample.length, true).series;
  for (const column of ['time', 'open', 'high', 'low', 'close', 'volume'] as const) shared[column].set(inSample[column]);
  // Every batch runs over that one copy: the pool's threads keep its indicator columns from batch to batch.
  const seriesKey = randomUUID();
  const evaluated = new Map<string, { score: number | null; params: Record<string, unknown> | null; metrics: BacktestMetrics | null }>();
  const trials: ScoredTrial[] = [];
  for (let batch = search.nextBatch(); batch; batch = search.nextBatch()) {
    const toRun: Array<{ key: string; params: Record<string, unknown> }> = [];
    const queued = new Set<string>();
    for (const cell of batch) {
      const key = cellKey(cell);
      if (evaluated.has(key) || queued.has(key)) continue;
      const parsed = schema.safeParse(cellParams(axes, cell, spec.baseParams));
      if (parsed.success) {
        toRun.push({ key, params: parsed.data as Record<string, unknown> });
        queued.add(key);
      } else evaluated.set(key, { score: null, params: null, metrics: null });
    }
    const done = trials.length;
    const results = toRun.length
      ? await runCandidates(
          { series: shared, strategyType: spec.strategyType, combos: toRun.map((r) => r.params), config: spec.config, seriesKey },
          { signal: options.signal, onProgress: (finished) => options.onProgress(done + Math.round((finished / toRun.length) * batch.length), search.total) },
        )
      : [];
    toRun.forEach((r, i) => {
      const metrics = results[i]?.metrics ?? null;
      evaluated.set(r.key, { score: objectiveScore(metrics, spec.objective), params: r.params, metrics });
    });
    const scored = batch.map((cell) => ({ cell, score: evaluated.get(cellKey(cell))!.score }));
    search.report(scored);
    trials.push(...scored);
    options.onProgress(trials.length, search.total);
  }

  const feasible = [...evaluated.values()].filter((e) => e.score !== null).length;
  const base = { trials: trials.length, evaluated: evaluated.size, feasible, inSampleBars: inSample.length, outOfSampleBars: outOfSample.length };
  const best = bestTrial(trials);
  if (best < 0)
    return { ...base, params: null, chosen: null, objective: null, inSampleMetrics: null, outOfSampleMetrics: null, neighbourhood: null, deflatedSharpe: null };
  const bestCell = trials[best]!.cell;
  const chosen = evaluated.get(cellKey(bestCell))!;
  // The chosen cell out of sample, and its in-sample run again for its bar returns (the search kept only metrics).
  const runChosen = (series: CandleSeries) =>
    spec.strategy
      ? spec.strategy.backtest(series, chosen.params!, spec.config)
      : runBacktest(series, createStrategy(spec.strategyType, chosen.params), spec.config);
  const oos = await runChosen(outOfSample);
  const inSampleRun = await runChosen(inSample);
  const tried = [...evaluated.values()].flatMap((e) => (e.metrics ? [e.metrics.sharpeRatio] : []));
  const annualise = annualisationFactor(timeframeToMs(spec.config.timeframe));
  return {
    ...base,
    params: chosen.params,
    chosen: Object.fromEntries(axes.map((a, i) => [a.name, a.values[bestCell[i]!]])),
    objective: chosen.score,
    inSampleMetrics: chosen.metrics,
    outOfSampleMetrics: oos.metrics,
    neighbourhood: neighbourhood(axes, trials, bestCell),
    deflatedSharpe: deflatedSharpeOfChosen(tried, annualise, inSampleRun.equity),
  };
}

/** Fold `fold` of a stored walk-forward: its candles from the database, then searchFold with progress on the job. */
async function runFold(ctx: JobContext<Payload>, row: Row, fold: number, runCandidates: RunCandidates, signal: AbortSignal): Promise<FoldResult> {
  const spec = row.spec as unknown as StoredSpec;
  const window = row.windows[fold]!;
  await ctx.progress(0.01, 'loading candles');
  const series = await loadCandlesOrFail(ctx.db, row, window.inSample.start, window.outOfSample.end);
  const script = isScriptType(row.strategyType) ? await scriptFoldStrategy(ctx.db, row.userId, row.strategyType) : null;
  return searchFold(
    sliceByTime(series, window.inSample.start, window.inSample.end),
    sliceByTime(series, window.outOfSample.start, window.outOfSample.end),
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
  const series = await loadCandlesOrFail(ctx.db, row, first, last);
  const folds = row.foldResults as unknown as FoldResult[];
  const script = isScriptType(row.strategyType) ? (await scriptFoldStrategy(ctx.db, row.userId, row.strategyType)).strategy : null;
  const parts: OutOfSamplePart[] = [];
  for (const [k, w] of row.windows.entries()) {
    const part = sliceByTime(series, w.outOfSample.start, w.outOfSample.end);
    const params = folds[k]!.params;
    if (!params) {
      parts.push({ series: part, run: null });
      continue;
    }
    const run = script ? await script.backtest(part, params, config) : runBacktest(part, createStrategy(row.strategyType, params), config);
    parts.push({ series: part, run: { equity: run.equity, trades: run.trades, metrics: run.metrics } });
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
