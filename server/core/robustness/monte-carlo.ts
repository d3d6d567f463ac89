import type { CandleSeries } from '../candles';
import { runBacktest } from '../backtest/engine';
import type { BacktestConfig } from '../backtest/types';
import type { StrategyInstance } from '../strategies/types';
import { runStream, type Mulberry32 } from './random';
import { histogram, maxDrawdownPct, percentileBand, samplePoints, type HistogramBin, type PercentileBand } from './stats';

/**
 * Monte Carlo from a completed backtest (docs/robustness.md, "Monte Carlo"). A plan holds the inputs and every run's
 * figures; `runBatch(from, to)` computes runs [from, to) (each from its own seeded stream, so batches can be of any
 * size and in any order), `summary()` turns all runs into percentiles, bands, distributions and the ruin probability.
 */

export type MonteCarloMethod = 'shuffle' | 'bootstrap' | 'blocks';

export interface MonteCarloOptions {
  readonly runs: number;
  /** 0..2³² − 1 */
  readonly seed: number;
  /** a run whose max drawdown reaches this (percent) counts as ruined */
  readonly ruinDrawdownPct: number;
}

export interface MonteCarloBandPoint {
  /** the x-axis index: trade number (0 = before the first trade) or bar index */
  x: number;
  /** the bar's open time (ms, UTC), for the blocks method */
  time?: number;
  p5: number;
  p50: number;
  p95: number;
  /** the backtest's own equity there */
  original: number;
}

export interface MonteCarloSummary {
  runs: number;
  finalReturnPct: PercentileBand;
  maxDrawdownPct: PercentileBand;
  /** fraction (0..1) of runs with maxDrawdownPct ≥ ruinDrawdownPct */
  ruinProbability: number;
  bands: MonteCarloBandPoint[];
  distributions: { finalReturnPct: HistogramBin[]; maxDrawdownPct: HistogramBin[] };
  /** the backtest's own figures, measured as the runs are */
  original: { finalReturnPct: number; maxDrawdownPct: number };
}

/** Runs [from, to)'s figures as computed (exact doubles): what a shard hands over. `points[j × n + k]` is run from + k. */
export interface MonteCarloRuns {
  readonly finals: Float64Array;
  readonly drawdowns: Float64Array;
  readonly points: Float64Array;
}

export interface MonteCarloPlan {
  readonly runs: number;
  runBatch(from: number, to: number, shouldCancel?: () => boolean): void;
  /** Runs [from, to)'s figures (after runBatch over them), for another plan of the same study to import. */
  exportRuns(from: number, to: number): MonteCarloRuns;
  /** Puts runs exported by a plan of the same study (same options, same candles or trades) at `from`. */
  importRuns(from: number, runs: MonteCarloRuns): void;
  summary(): MonteCarloSummary;
}

/** Shared bookkeeping: every run's final return, max drawdown and equity at the sampled points. */
abstract class PlanBase implements MonteCarloPlan {
  readonly runs: number;
  protected readonly finals: Float64Array;
  protected readonly drawdowns: Float64Array;
  /** equity at sampled point j of run r: points[j × runs + r] */
  protected readonly pointValues: Float64Array;

  constructor(
    protected readonly options: MonteCarloOptions,
    protected readonly points: Int32Array,
  ) {
    if (!(Number.isInteger(options.runs) && options.runs >= 1)) throw new RangeError(`runs must be a positive integer, got ${options.runs}`);
    this.runs = options.runs;
    this.finals = new Float64Array(this.runs);
    this.drawdowns = new Float64Array(this.runs);
    this.pointValues = new Float64Array(points.length * this.runs);
  }

  protected abstract runOne(run: number, rng: Mulberry32): void;
  protected abstract original(): { finalReturnPct: number; maxDrawdownPct: number; equityAt(point: number): number; timeAt?(point: number): number };

  runBatch(from: number, to: number, shouldCancel?: () => boolean): void {
    for (let r = from; r < to; r++) {
      if (shouldCancel !== undefined && (r & 15) === 0 && shouldCancel()) throw new MonteCarloCancelledError();
      this.runOne(r, runStream(this.options.seed, r));
    }
  }

  exportRuns(from: number, to: number): MonteCarloRuns {
    const n = to - from;
    const points = new Float64Array(this.points.length * n);
    for (let j = 0; j < this.points.length; j++) points.set(this.pointValues.subarray(j * this.runs + from, j * this.runs + to), j * n);
    return { finals: this.finals.slice(from, to), drawdowns: this.drawdowns.slice(from, to), points };
  }

  importRuns(from: number, runs: MonteCarloRuns): void {
    const n = runs.finals.length;
    if (from < 0 || from + n > this.runs || runs.drawdowns.length !== n || runs.points.length !== this.points.length * n)
      throw new RangeError(`runs [${from}, ${from + n}) do not fit this plan of ${this.runs} runs × ${this.points.length} points`);
    this.finals.set(runs.finals, from);
    this.drawdowns.set(runs.drawdowns, from);
    for (let j = 0; j < this.points.length; j++) this.pointValues.set(runs.points.subarray(j * n, (j + 1) * n), j * this.runs + from);
  }

  summary(): MonteCarloSummary {
    const { runs } = this;
    const original = this.original();
    let ruined = 0;
    for (let r = 0; r < runs; r++) if (this.drawdowns[r]! >= this.options.ruinDrawdownPct) ruined++;
    const bands: MonteCarloBandPoint[] = [];
    const scratch = new Float64Array(runs);
    for (let j = 0; j < this.points.length; j++) {
      const x = this.points[j]!;
      const band = percentileBand(this.pointValues.subarray(j * runs, (j + 1) * runs), scratch);
      bands.push({ x, ...(original.timeAt ? { time: original.timeAt(x) } : {}), ...band, original: original.equityAt(x) });
    }
    return {
      runs,
      finalReturnPct: percentileBand(this.finals),
      maxDrawdownPct: percentileBand(this.drawdowns),
      ruinProbability: ruined / runs,
      bands,
      distributions: { finalReturnPct: histogram(this.finals), maxDrawdownPct: histogram(this.drawdowns) },
      original: { finalReturnPct: original.finalReturnPct, maxDrawdownPct: original.maxDrawdownPct },
    };
  }
}

export class MonteCarloCancelledError extends Error {
  override readonly name = 'MonteCarloCancelledError';
  constructor() {
    super('Monte Carlo canceled');
  }
}

// Trade methods ---------------------------------------------------------------------------------------------------

/** f_t = pnl_t ÷ E_(t−1), E_0 = initialCapital, E_t = E_(t−1) + pnl_t: each trade's return on the equity it started from. */
export function tradeFractions(pnl: ArrayLike<number>, initialCapital: number): Float64Array {
  const fractions = new Float64Array(pnl.length);
  let equity = initialCapital;
  for (let t = 0; t < pnl.length; t++) {
    fractions[t] = pnl[t]! / equity;
    equity += pnl[t]!;
  }
  return fractions;
}

/** The equity after each trade, E'_0..E'_T, when the trades' fractions compound in `order`. */
export function tradePath(fractions: ArrayLike<number>, order: ArrayLike<number>, initialCapital: number): Float64Array {
  const path = new Float64Array(order.length + 1);
  path[0] = initialCapital;
  for (let k = 0; k < order.length; k++) path[k + 1] = path[k]! * (1 + fractions[order[k]!]!);
  return path;
}

class TradePlan extends PlanBase {
  private readonly order: Int32Array;
  private readonly originalPath: Float64Array;

  constructor(
    private readonly method: 'shuffle' | 'bootstrap',
    private readonly fractions: Float64Array,
    private readonly initialCapital: number,
    options: MonteCarloOptions,
  ) {
    super(options, samplePoints(fractions.length + 1));
    if (fractions.length === 0) throw new RangeError('the backtest has no trades to resample');
    this.order = new Int32Array(fractions.length);
    const identity = Int32Array.from({ length: fractions.length }, (_, t) => t);
    this.originalPath = tradePath(fractions, identity, initialCapital);
  }

  protected runOne(run: number, rng: Mulberry32): void {
    const { order, fractions, points, pointValues, runs } = this;
    const T = fractions.length;
    if (this.method === 'shuffle') {
      for (let t = 0; t < T; t++) order[t] = t;
      // Fisher–Yates: position k takes a uniform pick among the trades not yet placed.
      for (let k = T - 1; k > 0; k--) {
        const pick = rng.below(k + 1);
        const swap = order[k]!;
        order[k] = order[pick]!;
        order[pick] = swap;
      }
    } else {
      for (let k = 0; k < T; k++) order[k] = rng.below(T);
    }
    let equity = this.initialCapital;
    let peak = equity;
    let worst = 0;
    // The first sampled point is always trade 0 (before any trade).
    pointValues[run] = equity;
    let nextPoint = 1;
    for (let k = 0; k < T; k++) {
      equity *= 1 + fractions[order[k]!]!;
      if (equity > peak) peak = equity;
      else if (peak > 0) {
        const drawdown = (peak - equity) / peak;
        if (drawdown > worst) worst = drawdown;
      }
      while (nextPoint < points.length && points[nextPoint] === k + 1) pointValues[nextPoint++ * runs + run] = equity;
    }
    this.finals[run] = (equity / this.initialCapital - 1) * 100;
    this.drawdowns[run] = worst * 100;
  }

  protected original() {
    const path = this.originalPath;
    return {
      finalReturnPct: (path[path.length - 1]! / this.initialCapital - 1) * 100,
      maxDrawdownPct: maxDrawdownPct(path),
      equityAt: (x: number) => path[x]!,
    };
  }
}

/** Trade-order shuffle or trade bootstrap over a backtest's trades (their pnl, in order) from its initial capital. */
export function tradeMonteCarlo(method: 'shuffle' | 'bootstrap', pnl: ArrayLike<number>, initialCapital: number, options: MonteCarloOptions): MonteCarloPlan {
  return new TradePlan(method, tradeFractions(pnl, initialCapital), initialCapital, options);
}

// Price-path resampling -------------------------------------------------------------------------------------------

/** The default block length: ⌈∛n⌉ bars, at least 1 and at most n − 1. */
export function defaultBlockBars(bars: number): number {
  return Math.max(1, Math.min(bars - 1, Math.ceil(Math.cbrt(bars))));
}

/** Each bar's open, high, low and close relative to the previous close (index 0 unused). */
export interface BarRelatives {
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
}

export function barRelatives(series: CandleSeries): BarRelatives {
  const n = series.length;
  const rel = { open: new Float64Array(n), high: new Float64Array(n), low: new Float64Array(n), close: new Float64Array(n) };
  for (let k = 1; k < n; k++) {
    const previous = series.close[k - 1]!;
    rel.open[k] = series.open[k]! / previous;
    rel.high[k] = series.high[k]! / previous;
    rel.low[k] = series.low[k]! / previous;
    rel.close[k] = series.close[k]! / previous;
  }
  return rel;
}

/**
 * Writes one resampled path into `out` (same length and times as `series`): bar 0 as it is, then blocks of
 * `blockBars` consecutive source bars starting at each of `nextStart()` (a uniform index in [1, n − 1]), wrapping
 * from n − 1 back to 1, each rebuilt from the previous path close by its relatives.
 */
export function buildBlockPath(series: CandleSeries, rel: BarRelatives, blockBars: number, nextStart: () => number, out: CandleSeries): void {
  const n = series.length;
  out.open[0] = series.open[0]!;
  out.high[0] = series.high[0]!;
  out.low[0] = series.low[0]!;
  out.close[0] = series.close[0]!;
  out.volume[0] = series.volume[0]!;
  let k = 1;
  while (k < n) {
    let j = nextStart();
    for (let q = 0; q < blockBars && k < n; q++, k++) {
      const previous = out.close[k - 1]!;
      out.open[k] = previous * rel.open[j]!;
      out.high[k] = previous * rel.high[j]!;
      out.low[k] = previous * rel.low[j]!;
      out.close[k] = previous * rel.close[j]!;
      out.volume[k] = series.volume[j]!;
      j = j === n - 1 ? 1 : j + 1;
    }
  }
}

/** What a plan needs of one run of the strategy over a path (or over the backtest's own candles). */
export interface PathRun {
  readonly totalReturnPct: number;
  readonly maxDrawdownPct: number;
  /** bar-close equity, one value per bar (read before the next run: it may be reused) */
  readonly equity: Float64Array;
}

/** One full run of the strategy over `path` (the same times as the backtest's candles). */
export type RunPath = (path: CandleSeries) => PathRun;

class BlockPlan extends PlanBase {
  private readonly rel: BarRelatives;
  private readonly path: CandleSeries;

  constructor(
    private readonly series: CandleSeries,
    private readonly runPath: RunPath,
    /** the strategy's run over the backtest's own candles */
    private readonly reference: PathRun,
    private readonly blockBars: number,
    options: MonteCarloOptions,
  ) {
    super(options, samplePoints(series.length));
    const n = series.length;
    if (n < 3) throw new RangeError(`price-path resampling needs at least 3 bars, got ${n}`);
    if (!(Number.isInteger(blockBars) && blockBars >= 1 && blockBars <= n - 1))
      throw new RangeError(`blockBars must be an integer from 1 to ${n - 1}, got ${blockBars}`);
    this.rel = barRelatives(series);
    this.path = {
      length: n,
      time: series.time,
      open: new Float64Array(n),
      high: new Float64Array(n),
      low: new Float64Array(n),
      close: new Float64Array(n),
      volume: new Float64Array(n),
    };
  }

  protected runOne(run: number, rng: Mulberry32): void {
    const n = this.series.length;
    buildBlockPath(this.series, this.rel, this.blockBars, () => 1 + rng.below(n - 1), this.path);
    const result = this.runPath(this.path);
    this.finals[run] = result.totalReturnPct;
    this.drawdowns[run] = result.maxDrawdownPct;
    const { points, pointValues, runs } = this;
    for (let j = 0; j < points.length; j++) pointValues[j * runs + run] = result.equity[points[j]!]!;
  }

  protected original() {
    const { reference, series } = this;
    return {
      finalReturnPct: reference.totalReturnPct,
      maxDrawdownPct: reference.maxDrawdownPct,
      equityAt: (x: number) => reference.equity[x]!,
      timeAt: (x: number) => series.time[x]!,
    };
  }
}

/** Block-bootstrap price paths over the backtest's candles, each a full re-run of the strategy with `config`. */
export function blockMonteCarlo(
  series: CandleSeries,
  makeStrategy: () => StrategyInstance,
  config: BacktestConfig,
  blockBars: number,
  options: MonteCarloOptions,
): MonteCarloPlan {
  const own = runBacktest(series, makeStrategy(), config);
  const reference = { totalReturnPct: own.metrics.totalReturnPct, maxDrawdownPct: own.metrics.maxDrawdownPct, equity: own.equity };
  // One instance and one equity buffer for every path (the engine resets the instance at the start of a run).
  const strategy = makeStrategy();
  const equityBuffer = new Float64Array(series.length);
  const runPath: RunPath = (path) => {
    const { metrics, equity } = runBacktest(path, strategy, config, { equityBuffer });
    return { totalReturnPct: metrics.totalReturnPct, maxDrawdownPct: metrics.maxDrawdownPct, equity };
  };
  return new BlockPlan(series, runPath, reference, blockBars, options);
}

/**
 * The same study with the strategy run by `runPath` (a user script in its sandbox, services/robustness/script-paths.ts):
 * `reference` is its run over the backtest's own candles. The paths and their order are the same as blockMonteCarlo's.
 */
export function blockMonteCarloOf(series: CandleSeries, runPath: RunPath, reference: PathRun, blockBars: number, options: MonteCarloOptions): MonteCarloPlan {
  return new BlockPlan(series, runPath, reference, blockBars, options);
}

/** Every run of a plan in one call, then its summary. */
export function runMonteCarlo(plan: MonteCarloPlan): MonteCarloSummary {
  plan.runBatch(0, plan.runs);
  return plan.summary();
}
