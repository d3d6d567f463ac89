import type { CandleSeries } from '../candles';
import type { IndicatorColumns } from '../indicators/columns';
import { BarStrategy } from './bar-strategy';
import type { PlotSpec, StrategyParams } from './types';

/** The parameters of a moving-average crossover; the averages differ only in their help text and defaults. */
export function crossoverParameters(kind: 'simple' | 'exponential', defaults: { fast: number; slow: number }) {
  return {
    fastPeriod: {
      label: 'Fast period',
      unit: 'bars',
      type: 'integer',
      default: defaults.fast,
      min: 1,
      max: 1000,
      description: `Bars in the fast ${kind} moving average of closes.`,
    },
    slowPeriod: {
      label: 'Slow period',
      unit: 'bars',
      type: 'integer',
      default: defaults.slow,
      min: 2,
      max: 5000,
      description: `Bars in the slow ${kind} moving average of closes.`,
    },
  } as const;
}

export type CrossoverParams = StrategyParams<ReturnType<typeof crossoverParameters>>;

/** The two averages, drawn over the price: `fast_ma` and `slow_ma` (ma: "SMA" or "EMA"). */
export function crossoverPlots(ma: 'SMA' | 'EMA'): readonly PlotSpec[] {
  return [
    { name: 'fast_ma', label: `Fast ${ma}`, pane: 'price', style: 'line', color: '#f59e0b' },
    { name: 'slow_ma', label: `Slow ${ma}`, pane: 'price', style: 'line', color: '#6366f1' },
  ];
}

export const crossoverValidate = (p: CrossoverParams) =>
  p.fastPeriod < p.slowPeriod ? null : { param: 'fastPeriod', message: 'fastPeriod must be less than slowPeriod' };

/**
 * Enter when MA(fast) > MA(slow) on bar i and MA(fast) ≤ MA(slow) on bar i − 1; exit on the opposite
 * cross (fast < slow on i, fast ≥ slow on i − 1). Both averages must exist on both bars. A subclass gives the
 * order of the two averages after each bar (`compareAverages`); the simple averages' order is exact
 * (docs/backtesting.md, "Exact decisions").
 */
export abstract class MovingAverageCrossoverStrategy extends BarStrategy<CrossoverParams> {
  readonly warmup: number;
  /** sign of MA(fast) − MA(slow) after the last bar and after the one before: 1, 0, −1, or NaN (undefined) */
  private order = Number.NaN;
  private previousOrder = Number.NaN;
  /** both averages' columns at every bar of the series being run, when the engine shares columns (useColumns) */
  protected fastColumn: Float64Array | null = null;
  protected slowColumn: Float64Array | null = null;

  constructor(params: CrossoverParams) {
    super(params);
    this.warmup = Math.max(params.fastPeriod, params.slowPeriod);
  }

  /** Feed bar i to both averages; the sign of MA(fast) − MA(slow) after it (NaN while either warms up). */
  protected abstract compareAverages(series: CandleSeries, i: number): number;
  /** Return both averages to their freshly constructed state. */
  protected abstract resetAverages(): void;
  /**
   * The shared column's key prefix (`<kind>:<period>`) and the column an average's period gives over the closes,
   * written into `out` (every value; IndicatorColumns.get).
   */
  protected abstract readonly columnKind: string;
  protected abstract averageColumn(closes: Float64Array, period: number, out: Float64Array): Float64Array;

  protected override bindColumns(series: CandleSeries, columns: IndicatorColumns): boolean {
    const { fastPeriod, slowPeriod } = this.params;
    const fast = columns.get(series.close, `${this.columnKind}:${fastPeriod}`, (values, out) => this.averageColumn(values, fastPeriod, out));
    const slow = fast && columns.get(series.close, `${this.columnKind}:${slowPeriod}`, (values, out) => this.averageColumn(values, slowPeriod, out));
    if (!fast || !slow) return false;
    this.fastColumn = fast;
    this.slowColumn = slow;
    return true;
  }

  protected override unbindColumns(): void {
    this.fastColumn = this.slowColumn = null;
  }

  protected next(series: CandleSeries, i: number): void {
    this.previousOrder = this.order;
    this.order = this.compareAverages(series, i);
  }

  // NaN compares false, so an undefined average on either bar never signals.
  protected entrySignal(): boolean {
    return this.order > 0 && this.previousOrder <= 0;
  }

  protected exitSignal(): boolean {
    return this.order < 0 && this.previousOrder >= 0;
  }

  protected resetState(): void {
    this.resetAverages();
    this.order = this.previousOrder = Number.NaN;
  }
}
