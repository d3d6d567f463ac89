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
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { walkForwards } from '@/db/schema';
import { ENGINE_VERSION } from '@/server/core/backtest';
import { AppError } from '@/server/core/errors';
import { floatToDecimalString } from '@/server/core/money/decimal';
import { MAX_SEED } from '@/server/core/robustness/random';
import {
  buildAxes,
  cellParams,
  DEFAULT_WALK_FORWARD_TRIALS,
  gridSize,
  MAX_WALK_FORWARD_TRIALS,
  planFolds,
  WalkForwardError,
  type FoldSpec,
  type FoldWindows,
  type SearchAxis,
  type SearchMethod,
  type SearchSpace,
  type WalkForwardObjective,
} from '@/server/core/robustness/walk-forward';
import { scriptWarmup, type ScriptMeta } from '@/server/core/scripts/description';
import { isScriptType } from '@/server/core/scripts/script-type';
import type { ParamSchema, StrategyDefinition } from '@/server/core/strategies/types';
import { runnableScript } from '@/server/services/scripts/scripts';
import { createStrategy, getStrategyDefinition } from '@/server/core/strategies';
import { paramsSchema } from '@/server/core/strategies/params';
import { isSignalStrategyType } from '@/server/core/strategies/signal';
import { msToIso } from '@/server/core/time';
import { timeframeToMs } from '@/server/core/timeframe';
import { assertPairsCoverWindows, assertRunnable, type RunSpec } from '@/server/services/backtests/run-spec';
import { WALK_FORWARD_FOLD_JOB_TYPE } from '@/server/services/jobs/contract';
import { enqueueJob, requestJobCancel } from '@/server/services/jobs/queue';
import { getStrategyRow } from '@/server/services/strategies/strategies';
import { jobs } from '@/db/schema';
import type { WalkForwardFoldView, WalkForwardView } from './views';
import { ACTIVE, walkForwardRow, type FoldResult, type Row, type StitchedResult, type StoredSpec } from './walk-forward-row';

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

export type { WalkForwardFoldView, WalkForwardView };

function validation(field: string, message: string): AppError {
  return AppError.validation([{ field, message }]);
}

/** The largest warm-up over the space's corner cells (every ordinal axis at its largest value), or over each axis's largest value alone. */
function largestWarmup(
  definition: StrategyDefinition<ParamSchema>,
  axes: readonly SearchAxis[],
  base: Record<string, unknown>,
  script: ScriptMeta | null,
): number {
  // A script's warm-up is the one it declares (scripts/warmup.ts; 0 undeclared): read without running it.
  const schema = paramsSchema(definition);
  const warmup = (params: Record<string, unknown>) => {
    const parsed = schema.safeParse(params);
    if (!parsed.success) return 0;
    return script ? scriptWarmup(script, parsed.data) : createStrategy(definition.type, parsed.data).warmup;
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
  const script = isScriptType(strategy.type) ? await runnableScript(db, userId, strategy.type) : null;
  const definition = script ? script.definition : getStrategyDefinition(strategy.type);
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
  const warmup = largestWarmup(definition, axes, strategy.params, script?.meta ?? null);
  const shortest = Math.min(...windows.flatMap((w) => [w.inSample.end - w.inSample.start, w.outOfSample.end - w.outOfSample.start])) / tfMs;
  if (shortest <= warmup)
    throw validation(
      'folds',
      `the shortest window has ${shortest} bars, not more than the warm-up of ${warmup} bars the space needs; use longer windows or fewer folds`,
    );
  await assertRunnable(db, strategy, input);
  // A pair list: each fold reads every pair over its in-sample and out-of-sample windows.
  await assertPairsCoverWindows(
    db,
    strategy,
    windows.map((w, fold) => ({ start: w.inSample.start, end: w.outOfSample.end, label: `fold ${fold + 1}’s windows` })),
  );

  const spec: StoredSpec = {
    folds: input.folds,
    anchored: input.anchored,
    space: input.space,
    search: { method: input.search.method, trials, seed: input.search.seed ?? randomInt(0, MAX_SEED + 1) },
    objective: input.objective,
    drawdownWeight: input.drawdownWeight,
    minTrades: input.minTrades,
    ...(strategy.symbols && strategy.capital ? { pairList: { symbols: strategy.symbols, capital: strategy.capital } } : {}),
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
    symbols: spec.pairList?.symbols ?? null,
    capital: spec.pairList?.capital ?? null,
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
