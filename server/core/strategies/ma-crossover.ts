import type { CandleSeries } from '../candles';
import { BarStrategy } from './bar-strategy';
import type { StrategyParams } from './types';

/** The parameters of a moving-average crossover; the averages differ only in their help text and defaults. */
export function crossoverParameters(kind: 'simple' | 'exponential', defaults: { fast: number; slow: number }) {
  return {
    fastPeriod: { type: 'integer', default: defaults.fast, min: 1, max: 1000, description: `Bars in the fast ${kind} moving average of closes.` },
    slowPeriod: { type: 'integer', default: defaults.slow, min: 2, max: 5000, description: `Bars in the slow ${kind} moving average of closes.` },
  } as const;
}

export type CrossoverParams = StrategyParams<ReturnType<typeof crossoverParameters>>;

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

  constructor(params: CrossoverParams) {
    super(params);
    this.warmup = Math.max(params.fastPeriod, params.slowPeriod);
  }

  /** Feed bar i to both averages; the sign of MA(fast) − MA(slow) after it (NaN while either warms up). */
  protected abstract compareAverages(series: CandleSeries, i: number): number;
  /** Return both averages to their freshly constructed state. */
  protected abstract resetAverages(): void;

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
