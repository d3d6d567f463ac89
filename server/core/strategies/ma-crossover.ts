import type { CandleSeries } from '../candles';
import type { StreamingIndicator } from '../indicators/types';
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
 * cross (fast < slow on i, fast ≥ slow on i − 1). Both averages must exist on both bars.
 */
export class MovingAverageCrossoverStrategy extends BarStrategy<CrossoverParams> {
  readonly warmup: number;
  private readonly fast: StreamingIndicator;
  private readonly slow: StreamingIndicator;
  private fastValue = Number.NaN;
  private slowValue = Number.NaN;
  private previousFast = Number.NaN;
  private previousSlow = Number.NaN;

  constructor(params: CrossoverParams, average: (period: number) => StreamingIndicator) {
    super(params);
    this.fast = average(params.fastPeriod);
    this.slow = average(params.slowPeriod);
    this.warmup = Math.max(params.fastPeriod, params.slowPeriod);
  }

  protected next(series: CandleSeries, i: number): void {
    const close = series.close[i]!;
    this.previousFast = this.fastValue;
    this.previousSlow = this.slowValue;
    this.fastValue = this.fast.update(close) ?? Number.NaN;
    this.slowValue = this.slow.update(close) ?? Number.NaN;
  }

  // NaN compares false, so an undefined average on either bar never signals.
  protected entrySignal(): boolean {
    return this.fastValue > this.slowValue && this.previousFast <= this.previousSlow;
  }

  protected exitSignal(): boolean {
    return this.fastValue < this.slowValue && this.previousFast >= this.previousSlow;
  }

  protected resetState(): void {
    this.fast.reset();
    this.slow.reset();
    this.fastValue = this.slowValue = this.previousFast = this.previousSlow = Number.NaN;
  }
}
