/**
 * Walk-forward optimization, the pure parts (docs/robustness.md, "Walk-forward optimization"): the fold windows,
 * the search space and its samplers (grid, random, a small seeded TPE), the objective, the choice of the best cell,
 * its neighbourhood, and the stitching of the out-of-sample runs. No I/O: the worker's fold jobs
 * (server/services/robustness/walk-forward-fold.ts, fold-search.ts) run the candidates through the sweep kernels and call these.
 */
import { computeMetrics } from '../backtest/metrics';
import { expandRange, SweepError } from '../backtest/sweep';
import type { BacktestMetrics, BacktestTrade } from '../backtest/types';
import type { CandleSeries } from '../candles';
import { paramsSchema, strategyParameters } from '../strategies/params';
import type { ParamSchema, StrategyDefinition } from '../strategies/types';
import { Mulberry32, runStream } from './random';
import { samplePoints } from './stats';

export const DAY_MS = 86_400_000;
export const MAX_WALK_FORWARD_FOLDS = 50;
/** trials per fold (a grid's cells count as its trials) */
export const MAX_WALK_FORWARD_TRIALS = 1_000;
export const DEFAULT_WALK_FORWARD_TRIALS = 100;
/** a run without a losing trade (profit factor null) scores this, as does any profit factor above it */
export const PROFIT_FACTOR_CAP = 1_000;
/** TPE: random trials before the model is used, candidates proposed per batch, good fraction, candidates drawn per pick */
export const TPE_STARTUP_TRIALS = 10;
export const TPE_BATCH = 8;
export const TPE_GAMMA = 0.25;
export const TPE_CANDIDATES = 24;
/** points of the stitched equity curve in a result */
export const STITCHED_EQUITY_POINTS = 500;

/** A user mistake in a walk-forward request, naming the request field (`folds`, `space.fastPeriod`, `search.trials`). */
export class WalkForwardError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'WalkForwardError';
  }
}

// Windows ----------------------------------------------------------------------------------------

export type FoldSpec = number | { readonly inSampleDays: number; readonly outOfSampleDays: number; readonly stepDays?: number };

/** [start, end) in ms, UTC; both on bar boundaries S + k × timeframe. */
export interface TimeWindow {
  start: number;
  end: number;
}

export interface FoldWindows {
  inSample: TimeWindow;
  outOfSample: TimeWindow;
}

/**
 * The folds over [startMs, endMs). Lengths: fold k's in-sample is [S + k·step, S + k·step + IS) (anchored:
 * [S, S + k·step + IS)), its out-of-sample the OOS after it, while that ends ≤ E; lengths are rounded down to whole
 * bars. A count F: the whole bars of the range are cut into F + 1 equal segments (the remainder bars at the end are
 * left out); fold k has in-sample segment k (anchored: 0..k) and out-of-sample segment k + 1.
 */
export function planFolds(startMs: number, endMs: number, timeframeMs: number, folds: FoldSpec, anchored: boolean): FoldWindows[] {
  const bars = Math.floor((endMs - startMs) / timeframeMs);
  const plan: FoldWindows[] = [];
  if (typeof folds === 'number') {
    const segment = Math.floor(bars / (folds + 1));
    if (segment < 1) throw new WalkForwardError(`the range has ${bars} bars: too few for ${folds + 1} segments`, 'folds');
    const at = (k: number) => startMs + k * segment * timeframeMs;
    for (let k = 0; k < folds; k++)
      plan.push({ inSample: { start: anchored ? startMs : at(k), end: at(k + 1) }, outOfSample: { start: at(k + 1), end: at(k + 2) } });
    return plan;
  }
  const whole = (days: number, field: string) => {
    const ms = Math.floor((days * DAY_MS) / timeframeMs) * timeframeMs;
    if (!(ms >= timeframeMs)) throw new WalkForwardError(`must be at least one ${timeframeMs / 60_000}-minute bar`, `folds.${field}`);
    return ms;
  };
  const inSample = whole(folds.inSampleDays, 'inSampleDays');
  const outOfSample = whole(folds.outOfSampleDays, 'outOfSampleDays');
  const step = folds.stepDays === undefined ? outOfSample : whole(folds.stepDays, 'stepDays');
  for (let k = 0; ; k++) {
    const isStart = startMs + k * step;
    const isEnd = isStart + inSample;
    if (isEnd + outOfSample > endMs) break;
    if (plan.length === MAX_WALK_FORWARD_FOLDS)
      throw new WalkForwardError(`more than ${MAX_WALK_FORWARD_FOLDS} folds fit the range; lengthen stepDays or shorten the range`, 'folds.stepDays');
    plan.push({ inSample: { start: anchored ? startMs : isStart, end: isEnd }, outOfSample: { start: isEnd, end: isEnd + outOfSample } });
  }
  if (plan.length === 0)
    throw new WalkForwardError(
      `no fold fits the range: one needs ${(inSample + outOfSample) / DAY_MS} days (in-sample + out-of-sample), the range has ${(bars * timeframeMs) / DAY_MS}`,
      'folds',
    );
  return plan;
}

// Search space -----------------------------------------------------------------------------------

export type SpaceEntry = { readonly min: number; readonly max: number; readonly step: number } | readonly (number | boolean | string)[];
export type SearchSpace = Readonly<Record<string, SpaceEntry>>;

/** One searched parameter: its values in order (ordinal axes are numbers in ascending order). */
export interface SearchAxis {
  readonly name: string;
  readonly values: readonly (number | boolean | string)[];
  /** numeric: the TPE kernel spreads over neighbouring values; otherwise each value on its own */
  readonly ordinal: boolean;
}

/**
 * The axes of a space over the strategy's schema: every value valid on its own (type, integer-ness, bounds) over
 * `baseParams`, or a WalkForwardError naming `space.<param>` (`space` when it is empty).
 */
export function buildAxes(definition: StrategyDefinition<ParamSchema>, space: SearchSpace, baseParams: Readonly<Record<string, unknown>>): SearchAxis[] {
  const names = Object.keys(space);
  if (names.length === 0) throw new WalkForwardError('must name at least one parameter of the strategy', 'space');
  const specs = strategyParameters(definition);
  const schema = paramsSchema(definition);
  return names.map((name) => {
    const field = `space.${name}`;
    const spec = specs[name];
    if (!spec) throw new WalkForwardError(`${definition.type} has no parameter ${name} (it has ${Object.keys(specs).join(', ')})`, field);
    const entry = space[name]!;
    let values: Array<number | boolean | string>;
    if (Array.isArray(entry)) {
      if (entry.length === 0) throw new WalkForwardError('must be a non-empty list of values or {min, max, step}', field);
      values = [...new Set(entry as Array<number | boolean | string>)];
    } else {
      const range = entry as { min: number; max: number; step: number };
      if (spec.type !== 'integer' && spec.type !== 'float') throw new WalkForwardError(`a ${spec.type} parameter takes a list of values, not a range`, field);
      try {
        values = expandRange(name, range, spec.type === 'integer', 100_000);
      } catch (error) {
        if (error instanceof SweepError) throw new WalkForwardError(error.message, field);
        throw error;
      }
    }
    for (const value of values) {
      const result = schema.safeParse({ ...baseParams, [name]: value });
      const own = result.success ? undefined : result.error.issues.find((i) => i.path[0] === name && i.code !== 'custom');
      if (own) throw new WalkForwardError(`${JSON.stringify(value)}: ${own.message}`, field);
    }
    const ordinal = values.every((v) => typeof v === 'number');
    if (ordinal) values.sort((a, b) => (a as number) - (b as number));
    return { name, values, ordinal };
  });
}

/** Cells of the full grid (the product of the axes' sizes). */
export function gridSize(axes: readonly SearchAxis[]): number {
  return axes.reduce((n, a) => n * a.values.length, 1);
}

/** A cell: one value index per axis. Its key names it in maps. */
export type Cell = readonly number[];
export const cellKey = (cell: Cell): string => cell.join(',');

/** The cell's parameter values over the base params (not yet validated across parameters). */
export function cellParams(axes: readonly SearchAxis[], cell: Cell, baseParams: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const params: Record<string, unknown> = { ...baseParams };
  for (let a = 0; a < axes.length; a++) params[axes[a]!.name] = axes[a]!.values[cell[a]!];
  return params;
}

// Samplers ---------------------------------------------------------------------------------------

export type SearchMethod = 'grid' | 'random' | 'tpe';

/** One scored trial: its cell and its objective (null: infeasible, i.e. invalid, failed or below minTrades). */
export interface ScoredTrial {
  cell: Cell;
  score: number | null;
}

/**
 * Proposes the cells to evaluate, batch by batch. Batches never depend on how they are run (threads, workers): grid
 * is one batch in odometer order (the last parameter fastest), random one batch of `trials` uniform draws, TPE a
 * random batch of TPE_STARTUP_TRIALS then batches of TPE_BATCH proposed from every score so far. Randomness comes
 * from the fold's own stream, runStream(seed, fold).
 */
export class WalkForwardSearch {
  private readonly rng: Mulberry32;
  private proposed = 0;
  private readonly scored: ScoredTrial[] = [];

  constructor(
    private readonly axes: readonly SearchAxis[],
    private readonly method: SearchMethod,
    /** trials to propose (grid: ignored, every cell) */
    private readonly trials: number,
    seed: number,
    fold: number,
  ) {
    this.rng = runStream(seed, fold);
  }

  get total(): number {
    return this.method === 'grid' ? gridSize(this.axes) : this.trials;
  }

  /** The next batch, or null when every trial was proposed. Report its scores before asking again (TPE needs them). */
  nextBatch(): Cell[] | null {
    const left = this.total - this.proposed;
    if (left <= 0) return null;
    let batch: Cell[];
    if (this.method === 'grid') batch = gridCells(this.axes);
    else if (this.method === 'random' || this.proposed < TPE_STARTUP_TRIALS)
      batch = Array.from({ length: this.method === 'random' ? left : Math.min(left, TPE_STARTUP_TRIALS) }, () => this.randomCell());
    else batch = this.tpeBatch(Math.min(left, TPE_BATCH));
    this.proposed += batch.length;
    return batch;
  }

  report(trials: readonly ScoredTrial[]): void {
    this.scored.push(...trials);
  }

  private randomCell(): Cell {
    return this.axes.map((a) => this.rng.below(a.values.length));
  }

  /**
   * TPE (Bergstra et al. 2011), per axis independently: the scored trials are ranked (score descending, infeasible
   * last, ties by trial order); the best ⌈γ·n⌉ feasible ones are "good", the rest "bad". Each axis gets two pmfs over
   * its value indices, l (good) and g (bad): a uniform prior of weight 1 plus one kernel per trial (ordinal: a
   * discretised Gaussian of σ = max(1, (m − 1) ÷ 10) indices; otherwise all of its weight on the trial's value),
   * normalised. Each proposal draws TPE_CANDIDATES cells from l and keeps the one with the largest Σ log(l ÷ g),
   * preferring cells not yet evaluated or proposed (ties: the first drawn).
   */
  private tpeBatch(size: number): Cell[] {
    const order = this.scored.map((t, i) => ({ t, i }));
    order.sort((x, y) => {
      const a = x.t.score ?? -Infinity;
      const b = y.t.score ?? -Infinity;
      return a === b ? x.i - y.i : b - a;
    });
    const feasible = order.filter((o) => o.t.score !== null).length;
    const goodCount = Math.min(feasible, Math.ceil(TPE_GAMMA * order.length));
    const good = order.slice(0, goodCount).map((o) => o.t.cell);
    const bad = order.slice(goodCount).map((o) => o.t.cell);
    const l = this.axes.map((axis, a) =>
      axisPmf(
        axis,
        good.map((c) => c[a]!),
      ),
    );
    const g = this.axes.map((axis, a) =>
      axisPmf(
        axis,
        bad.map((c) => c[a]!),
      ),
    );
    const lCdf = l.map(cumulative);
    const seen = new Set(this.scored.map((t) => cellKey(t.cell)));
    const batch: Cell[] = [];
    for (let p = 0; p < size; p++) {
      let best: Cell | null = null;
      let bestRank = -Infinity;
      for (let c = 0; c < TPE_CANDIDATES; c++) {
        const cell = lCdf.map((cdf) => drawIndex(cdf, this.rng));
        let ratio = 0;
        for (let a = 0; a < cell.length; a++) ratio += Math.log(l[a]![cell[a]!]!) - Math.log(g[a]![cell[a]!]!);
        // Unseen cells rank above every seen one.
        const rank = seen.has(cellKey(cell)) ? ratio - 1e9 : ratio;
        if (rank > bestRank) {
          best = cell;
          bestRank = rank;
        }
      }
      batch.push(best!);
      seen.add(cellKey(best!));
    }
    return batch;
  }
}

function gridCells(axes: readonly SearchAxis[]): Cell[] {
  const cells: Cell[] = [];
  const total = gridSize(axes);
  const cursor = new Array<number>(axes.length).fill(0);
  for (let c = 0; c < total; c++) {
    cells.push([...cursor]);
    for (let a = axes.length - 1; a >= 0; a--) {
      cursor[a]!++;
      if (cursor[a]! < axes[a]!.values.length) break;
      cursor[a] = 0;
    }
  }
  return cells;
}

/** The TPE density of one axis from the value indices of a group of trials (see tpeBatch). */
export function axisPmf(axis: SearchAxis, indices: readonly number[]): Float64Array {
  const m = axis.values.length;
  const pmf = new Float64Array(m).fill(1 / m);
  if (axis.ordinal) {
    const sigma = Math.max(1, (m - 1) / 10);
    const reach = Math.ceil(4 * sigma);
    const kernel = new Float64Array(m);
    for (const center of indices) {
      const from = Math.max(0, center - reach);
      const to = Math.min(m - 1, center + reach);
      let sum = 0;
      for (let i = from; i <= to; i++) sum += kernel[i] = Math.exp(-((i - center) ** 2) / (2 * sigma * sigma));
      for (let i = from; i <= to; i++) pmf[i]! += kernel[i]! / sum;
    }
  } else for (const center of indices) pmf[center]! += 1;
  const total = 1 + indices.length;
  for (let i = 0; i < m; i++) pmf[i]! /= total;
  return pmf;
}

function cumulative(pmf: Float64Array): Float64Array {
  const cdf = new Float64Array(pmf.length);
  let sum = 0;
  for (let i = 0; i < pmf.length; i++) cdf[i] = sum += pmf[i]!;
  return cdf;
}

/** The first index whose cumulative weight exceeds u × total (u uniform in [0, 1) from 32 bits). */
function drawIndex(cdf: Float64Array, rng: Mulberry32): number {
  const target = (rng.nextUint32() / 4294967296) * cdf[cdf.length - 1]!;
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cdf[mid]! > target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

// Objective --------------------------------------------------------------------------------------

export const WALK_FORWARD_OBJECTIVES = ['sharpe', 'sortino', 'calmar', 'totalReturn', 'returnMinusDrawdown', 'profitFactor'] as const;
export type WalkForwardObjective = (typeof WALK_FORWARD_OBJECTIVES)[number];

export interface ObjectiveOptions {
  objective: WalkForwardObjective;
  /** k in totalReturnPct − k × maxDrawdownPct */
  drawdownWeight: number;
  /** a run with fewer trades is infeasible */
  minTrades: number;
}

/** The objective of a run's metrics (higher is better), or null when it is infeasible (no metrics, too few trades, not finite). */
export function objectiveScore(metrics: BacktestMetrics | null, options: ObjectiveOptions): number | null {
  if (!metrics || metrics.tradeCount < options.minTrades) return null;
  let score: number;
  switch (options.objective) {
    case 'sharpe':
      score = metrics.sharpeRatio;
      break;
    case 'sortino':
      score = metrics.sortinoRatio;
      break;
    case 'calmar':
      score = metrics.calmarRatio;
      break;
    case 'totalReturn':
      score = metrics.totalReturnPct;
      break;
    case 'returnMinusDrawdown':
      score = metrics.totalReturnPct - options.drawdownWeight * metrics.maxDrawdownPct;
      break;
    case 'profitFactor':
      score = Math.min(PROFIT_FACTOR_CAP, metrics.profitFactor ?? PROFIT_FACTOR_CAP);
      break;
  }
  return Number.isFinite(score) ? score : null;
}

/** The index of the best feasible trial: the highest score, ties to the earliest trial; -1 when none is feasible. */
export function bestTrial(trials: readonly ScoredTrial[]): number {
  let best = -1;
  for (let i = 0; i < trials.length; i++) {
    const score = trials[i]!.score;
    if (score !== null && (best < 0 || score > trials[best]!.score!)) best = i;
  }
  return best;
}

export interface Neighbourhood {
  /** evaluated cells within one value of the best on every ordinal axis and equal on the others (the best excluded) */
  cells: number;
  /** of those, the feasible ones and their objective */
  feasible: number;
  meanObjective: number | null;
  minObjective: number | null;
  maxObjective: number | null;
}

/** The objective around the best cell: a flat neighbourhood says the choice is stable, a cliff that it is luck. */
export function neighbourhood(axes: readonly SearchAxis[], trials: readonly ScoredTrial[], best: Cell): Neighbourhood {
  const seen = new Set<string>([cellKey(best)]);
  const scores: number[] = [];
  let cells = 0;
  for (const t of trials) {
    const key = cellKey(t.cell);
    if (seen.has(key)) continue;
    const near = axes.every((axis, a) => (axis.ordinal ? Math.abs(t.cell[a]! - best[a]!) <= 1 : t.cell[a] === best[a]));
    if (!near) continue;
    seen.add(key);
    cells++;
    if (t.score !== null) scores.push(t.score);
  }
  return {
    cells,
    feasible: scores.length,
    meanObjective: scores.length ? scores.reduce((s, v) => s + v, 0) / scores.length : null,
    minObjective: scores.length ? Math.min(...scores) : null,
    maxObjective: scores.length ? Math.max(...scores) : null,
  };
}

// Stitching --------------------------------------------------------------------------------------

/** One fold's out-of-sample run: its candles and, when a cell was chosen, the run (otherwise the capital stays in cash). */
export interface OutOfSamplePart {
  /** the window's bar times (a pair list's: the portfolio's steps), one equity value each */
  series: Pick<CandleSeries, 'time' | 'length'>;
  run: { equity: Float64Array; trades: readonly BacktestTrade[]; metrics: BacktestMetrics } | null;
}

export interface StitchedOutOfSample {
  metrics: BacktestMetrics;
  /** at most STITCHED_EQUITY_POINTS evenly spaced points of the stitched curve (time ms, equity quote) */
  equity: Array<{ time: number; equity: number }>;
}

/**
 * Chains the folds' out-of-sample runs (each a backtest of its window from `initialCapital`): fold k's equity and
 * trades are scaled by s_k = (the stitched equity at the end of fold k − 1) ÷ initialCapital (s_0 = 1). The metrics are
 * computeMetrics over the stitched bar-close equity and the scaled trades, with the time span from the first
 * out-of-sample bar to the last, exposure the folds' exposed bars summed, and buy-and-hold the folds' compounded.
 */
export function stitchOutOfSample(parts: readonly OutOfSamplePart[], initialCapital: number, timeframeMs: number): StitchedOutOfSample {
  const length = parts.reduce((n, p) => n + p.series.length, 0);
  const equity = new Float64Array(length);
  const times = new Float64Array(length);
  const trades: BacktestTrade[] = [];
  let exposedBars = 0;
  let buyAndHold = 1;
  let capital = initialCapital;
  let at = 0;
  for (const part of parts) {
    const scale = capital / initialCapital;
    const n = part.series.length;
    times.set(part.series.time, at);
    if (part.run) {
      for (let i = 0; i < n; i++) equity[at + i] = part.run.equity[i]! * scale;
      for (const t of part.run.trades) trades.push({ ...t, quantity: t.quantity * scale, fee: t.fee * scale, pnl: t.pnl * scale });
      exposedBars += Math.round((part.run.metrics.exposurePct * n) / 100);
      buyAndHold *= 1 + part.run.metrics.buyAndHoldReturnPct / 100;
    } else equity.fill(capital, at, at + n);
    at += n;
    if (n > 0) capital = equity[at - 1]!;
  }
  const metrics = computeMetrics({
    equity,
    trades,
    initialCapital,
    timeframeMs,
    firstTime: length > 0 ? times[0]! : 0,
    lastTime: length > 0 ? times[length - 1]! : 0,
    exposedBars,
    buyAndHoldReturnPct: (buyAndHold - 1) * 100,
  });
  const points = samplePoints(length, STITCHED_EQUITY_POINTS);
  return { metrics, equity: Array.from(points, (i) => ({ time: times[i]!, equity: equity[i]! })) };
}

/**
 * Walk-forward efficiency: the stitched out-of-sample cagrPct ÷ the mean of the folds' in-sample cagrPct (of the chosen
 * cells). Null when no fold chose a cell or that mean is not above 0 (a ratio to a loss or to nothing says nothing).
 */
export function walkForwardEfficiency(outOfSampleCagrPct: number, inSampleCagrPct: readonly number[]): number | null {
  if (inSampleCagrPct.length === 0) return null;
  const mean = inSampleCagrPct.reduce((s, v) => s + v, 0) / inSampleCagrPct.length;
  return mean > 0 ? outOfSampleCagrPct / mean : null;
}
