import type { CandleSeries } from '../candles';
import { runBacktest } from '../backtest/engine';
import { BacktestCancelledError, type BacktestConfig } from '../backtest/types';
import type { BarContext, Decision, PositionView, StrategyInstance } from '../strategies/types';
import { msToIso } from '../time';
import { SeriesView } from '../strategies/series-view';
import { columnView, newColumn } from '../intrinsics';

/**
 * Bias checks (docs/robustness.md, "Bias checks"). Pure: a series and a way to make fresh strategy instances in,
 * a report out. Any StrategyInstance works (built-in or user-written): the checks only call the instance contract.
 *
 * Look-ahead: a decision at bar i must not change when the bars after i are removed or changed.
 *   1. reference: one backtest over the series, every decision recorded;
 *   2. guarded: the same backtest with the strategy seeing a series that ends at the current bar (the bars after i
 *      are NaN and `length` is i + 1 while it decides on bar i): every decision as live trading would see it;
 *   3. perturbed: the bars after the middle bar c reflected in log price (p → close[c]² ÷ p, high and low swapped);
 *      the decisions on bars ≤ c must not move.
 *   The first bar whose decision differs from the reference in 2 or 3 is reported. The three run in one engine pass
 *   (TandemRecorder): the cost of one backtest plus two and a half strategy evaluations per bar.
 * Recursive: the entry/exit conditions (generateSignals, position-independent) at bar i must not depend on how much
 *   history precedes the settle horizon H = warmup + max(RECURSIVE_SETTLE_MIN, RECURSIVE_SETTLE_FACTOR × warmup).
 *   The reference is one pass over the series; RECURSIVE_SEGMENTS windows (the first quarter of each quarter of the
 *   bars from 2H on) are re-run from H bars before them. The first bar whose condition differs is reported.
 */

/** Extra history, per bar of warm-up, that an exponentially weighted indicator needs to forget its seed (see the doc). */
export const RECURSIVE_SETTLE_FACTOR = 20;
/** The least extra history given (for strategies with a short or no warm-up). */
export const RECURSIVE_SETTLE_MIN = 50;
/** Re-runs with short history, each covering a contiguous segment of the compared bars. */
export const RECURSIVE_SEGMENTS = 4;

export interface BiasFinding {
  readonly passed: boolean;
  /** index (in the checked series) of the first offending bar */
  readonly bar?: number;
  /** open time (ms, UTC) of that bar */
  readonly time?: number;
  /** what differed there, in words */
  readonly detail?: string;
}

export interface BiasCheckReport {
  readonly lookahead: BiasFinding;
  readonly recursive: BiasFinding;
  /** bars checked */
  readonly bars: number;
  /** history each recursive re-run was given before its first compared bar */
  readonly settleBars: number;
}

const DECISION_NONE = 0;
const DECISION_ENTER = 1;
const DECISION_EXIT = 2;
const DECISION_NAMES = ['none', 'enter', 'exit'] as const;

function decisionCode(decision: Decision): number {
  return decision === 'enter' ? DECISION_ENTER : decision === 'exit' ? DECISION_EXIT : DECISION_NONE;
}

/**
 * The three runs of the look-ahead check in one engine pass. The engine runs the reference instance on the real
 * series; beside it, on every bar, the guarded instance decides over a series that ends at the current bar (bars
 * after it NaN, `length` index + 1) and, up to bar `cut`, the perturbed instance over the series changed after `cut`,
 * both with the engine's position. Every decision of the three is recorded; the engine acts on the reference's.
 *
 * Why one pass gives the same report as three backtests: each run's engine state (position, fills) follows from its
 * decisions and the prices it fills at. Until the first bar where the guarded (or perturbed) decision differs from
 * the reference, the decisions are the same, and so are the fill prices (the perturbed series changes only bars
 * after `cut`, and its decisions are compared on bars ≤ cut only), so a run of its own would have reached that bar
 * in the same state. Only the first difference is reported.
 */
class TandemRecorder implements StrategyInstance {
  readonly reference: Uint8Array;
  readonly guarded: Uint8Array;
  readonly perturbed: Uint8Array;
  private readonly guardedContext: { series: CandleSeries; index: number };
  private readonly perturbedContext: { series: CandleSeries; index: number };
  private revealed = 0;

  constructor(
    private readonly inner: StrategyInstance,
    private readonly guardedInner: StrategyInstance,
    private readonly perturbedInner: StrategyInstance,
    /** the guarded instance's series, revealed bar by bar */
    private readonly view: SeriesView,
    perturbedSeries: CandleSeries,
    private readonly cut: number,
  ) {
    const n = perturbedSeries.length;
    this.reference = new Uint8Array(n);
    this.guarded = new Uint8Array(n);
    this.perturbed = new Uint8Array(cut + 1);
    this.guardedContext = { series: view, index: 0 };
    this.perturbedContext = { series: perturbedSeries, index: 0 };
  }

  get params() {
    return this.inner.params;
  }
  get warmup() {
    return this.inner.warmup;
  }
  get accumulates() {
    return this.inner.accumulates;
  }
  get fixedEntryQuote() {
    return this.inner.fixedEntryQuote;
  }

  reset(): void {
    this.inner.reset();
    this.guardedInner.reset();
    this.perturbedInner.reset();
  }

  onBar(ctx: BarContext, position?: PositionView | null): Decision {
    const index = ctx.index;
    const decision = this.inner.onBar(ctx, position);
    this.reference[index] = decisionCode(decision);
    this.view.reveal(index);
    this.guardedContext.index = index;
    this.guarded[index] = decisionCode(this.guardedInner.onBar(this.guardedContext, position));
    if (index <= this.cut) {
      this.perturbedContext.index = index;
      this.perturbed[index] = decisionCode(this.perturbedInner.onBar(this.perturbedContext, position));
    }
    return decision;
  }

  shouldOpenPosition(ctx: BarContext): boolean {
    return this.inner.shouldOpenPosition(ctx);
  }
  shouldClosePosition(position: PositionView, ctx: BarContext): boolean {
    return this.inner.shouldClosePosition(position, ctx);
  }
  generateSignals(series: CandleSeries): Int8Array {
    return this.inner.generateSignals(series);
  }
}

/**
 * The series with every bar after `cut` reflected in log price around close[cut] (p → close[cut]² ÷ p; high ↔ low).
 * A price column is made on first read (most strategies read only the closes); time and volume are the series' own.
 */
export function reflectAfter(series: CandleSeries, cut: number): CandleSeries {
  return new ReflectedSeries(series, cut);
}

class ReflectedSeries implements CandleSeries {
  readonly length: number;
  readonly time: Float64Array;
  readonly volume: Float64Array;
  // Fields of its own, not a record of columns: a record's missing key is looked up on Object.prototype, where a
  // script could have put a getter or a setter to receive the columns (in its isolate, core/scripts/bias.ts).
  private openColumn: Float64Array | null = null;
  private highColumn: Float64Array | null = null;
  private lowColumn: Float64Array | null = null;
  private closeColumn: Float64Array | null = null;
  private readonly square: number;

  constructor(
    private readonly source: CandleSeries,
    private readonly cut: number,
  ) {
    this.length = source.length;
    this.time = source.time;
    this.volume = source.volume;
    const pivot = source.close[cut]!;
    this.square = pivot * pivot;
  }

  get open(): Float64Array {
    return (this.openColumn ??= this.reflected(this.source.open, this.source.open));
  }
  get close(): Float64Array {
    return (this.closeColumn ??= this.reflected(this.source.close, this.source.close));
  }
  get high(): Float64Array {
    return (this.highColumn ??= this.reflected(this.source.high, this.source.low));
  }
  get low(): Float64Array {
    return (this.lowColumn ??= this.reflected(this.source.low, this.source.high));
  }

  /**
   * `own`'s bars up to cut, then square ÷ `mirror`'s (high's mirror is low, and the reverse). Made and copied bar by
   * bar through intrinsics (core/intrinsics.ts): the columns hold every bar, and the reflected ones give them back.
   */
  private reflected(own: Float64Array, mirror: Float64Array): Float64Array {
    const { cut, square, length } = this;
    const out = newColumn(length);
    for (let k = 0; k <= cut; k++) out[k] = own[k]!;
    for (let k = cut + 1; k < length; k++) out[k] = square / mirror[k]!;
    return out;
  }
}

function firstDifference(reference: ArrayLike<number>, other: ArrayLike<number>, from: number, to: number, otherOffset = 0): number {
  for (let i = from; i < to; i++) if (reference[i] !== other[i - otherOffset]) return i;
  return -1;
}

export interface BiasCheckOptions {
  /** polled between and during runs; returning true aborts with BacktestCancelledError */
  readonly shouldCancel?: () => boolean;
  /** called with the fraction of the check done */
  readonly onProgress?: (fraction: number) => void;
}

/** The look-ahead check (see the module comment). `makeStrategy` returns a fresh instance of the same strategy each call. */
export function checkLookahead(
  series: CandleSeries,
  makeStrategy: () => StrategyInstance,
  config: BacktestConfig,
  options: BiasCheckOptions = {},
): BiasFinding {
  const n = series.length;
  if (n < 2) throw new RangeError(`the look-ahead check needs at least 2 bars, got ${n}`);
  // The three runs in one engine pass (TandemRecorder). The perturbed series: the bars after the middle bar
  // reflected; its run's decisions are compared on bars ≤ cut only.
  const cut = Math.floor((n - 1) / 2);
  const tandem = new TandemRecorder(makeStrategy(), makeStrategy(), makeStrategy(), new SeriesView(series), reflectAfter(series, cut), cut);
  options.onProgress?.(0.05);
  runBacktest(series, tandem, config, { shouldCancel: options.shouldCancel });
  options.onProgress?.(0.75);
  const { reference, guarded, perturbed } = tandem;

  const hidden = firstDifference(reference, guarded, 0, n);
  const changed = firstDifference(reference, perturbed, 0, cut + 1);
  if (hidden < 0 && changed < 0) return { passed: true };
  const byHiding = hidden >= 0 && (changed < 0 || hidden <= changed);
  const bar = byHiding ? hidden : changed;
  const other = byHiding ? guarded[bar]! : perturbed[bar]!;
  const how = byHiding ? 'when the bars after it are hidden' : `when the bars after bar ${cut} (${msToIso(series.time[cut]!)}) are changed`;
  return {
    passed: false,
    bar,
    time: series.time[bar]!,
    detail: `the decision at bar ${bar} (${msToIso(series.time[bar]!)}) is '${DECISION_NAMES[reference[bar]!]}' with the whole series but '${DECISION_NAMES[other]}' ${how}: it reads bars after the one it decides on`,
  };
}

/** H: the history a recursive re-run gets before its first compared bar (see the module comment). */
export function recursiveSettleBars(warmup: number): number {
  return warmup + Math.max(RECURSIVE_SETTLE_MIN, RECURSIVE_SETTLE_FACTOR * warmup);
}

const SIGNAL_NAMES: Record<number, string> = { 1: 'entry', [-1]: 'exit', 0: 'neither' };

/** Bars from..to−1 of the series, as views of its columns (made through intrinsics: core/intrinsics.ts). */
function slice(series: CandleSeries, from: number, to: number): CandleSeries {
  return {
    length: to - from,
    time: columnView(series.time, from, to),
    open: columnView(series.open, from, to),
    high: columnView(series.high, from, to),
    low: columnView(series.low, from, to),
    close: columnView(series.close, from, to),
    volume: columnView(series.volume, from, to),
  };
}

/** The least number of bars the recursive check runs on for a strategy with this warm-up. */
export function recursiveMinimumBars(warmup: number): number {
  return 2 * recursiveSettleBars(warmup) + RECURSIVE_SEGMENTS;
}

/** The recursive check (see the module comment). Throws RangeError when the series is shorter than recursiveMinimumBars. */
export function checkRecursive(series: CandleSeries, makeStrategy: () => StrategyInstance, options: BiasCheckOptions = {}): BiasFinding {
  const n = series.length;
  const strategy = makeStrategy();
  const settle = recursiveSettleBars(strategy.warmup);
  const minimum = recursiveMinimumBars(strategy.warmup);
  if (n < minimum) throw new RangeError(`the recursive check needs at least ${minimum} bars for a warm-up of ${strategy.warmup} bars, got ${n}`);
  // The bars [2H, n) in RECURSIVE_SEGMENTS quarters; the first quarter of each (its window [a, b)) is compared, re-run
  // from a − H. The reference runs up to the last window's end.
  const first = 2 * settle;
  const quarter = Math.ceil((n - first) / RECURSIVE_SEGMENTS);
  const width = Math.ceil(quarter / RECURSIVE_SEGMENTS);
  const windows: [number, number][] = [];
  for (let s = 0; s < RECURSIVE_SEGMENTS; s++) {
    const a = first + s * quarter;
    if (a < n) windows.push([a, Math.min(n, a + width)]);
  }
  const reference = strategy.generateSignals(slice(series, 0, windows.at(-1)![1]));
  for (let s = 0; s < windows.length; s++) {
    if (options.shouldCancel?.()) throw new BacktestCancelledError();
    const [a, b] = windows[s]!;
    const from = a - settle;
    const short = makeStrategy().generateSignals(slice(series, from, b));
    const bar = firstDifference(reference, short, a, b, from);
    if (bar >= 0) {
      const time = series.time[bar]!;
      return {
        passed: false,
        bar,
        time,
        detail: `the condition at bar ${bar} (${msToIso(time)}) is ${SIGNAL_NAMES[reference[bar]!]} after ${bar} bars of history but ${SIGNAL_NAMES[short[bar - from]!]} after ${settle}: it depends on history beyond the warm-up`,
      };
    }
    options.onProgress?.((s + 1) / windows.length);
  }
  return { passed: true };
}

/** Both checks over one series: look-ahead (one engine pass, three strategies) then recursive (about two signal passes). */
export function checkBias(series: CandleSeries, makeStrategy: () => StrategyInstance, config: BacktestConfig, options: BiasCheckOptions = {}): BiasCheckReport {
  const { onProgress } = options;
  const lookahead = checkLookahead(series, makeStrategy, config, { shouldCancel: options.shouldCancel, onProgress: (f) => onProgress?.(f * 0.75) });
  const recursive = checkRecursive(series, makeStrategy, { shouldCancel: options.shouldCancel, onProgress: (f) => onProgress?.(0.75 + f * 0.25) });
  onProgress?.(1);
  return { lookahead, recursive, bars: series.length, settleBars: recursiveSettleBars(makeStrategy().warmup) };
}
