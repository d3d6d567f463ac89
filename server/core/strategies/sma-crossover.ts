import type { CandleSeries } from '../candles';
import { SMA } from '../indicators/sma';
import { BarStrategy } from './bar-strategy';
import { defineStrategy, type StrategyParams } from './types';

const parameters = {
  fastPeriod: { type: 'integer', default: 10, min: 1, max: 1000, description: 'Bars in the fast simple moving average of closes.' },
  slowPeriod: { type: 'integer', default: 30, min: 2, max: 5000, description: 'Bars in the slow simple moving average of closes.' },
} as const;

type Params = StrategyParams<typeof parameters>;

/**
 * Enter when SMA(fast) > SMA(slow) on bar i and SMA(fast) ≤ SMA(slow) on bar i − 1; exit on the opposite
 * cross (fast < slow on i, fast ≥ slow on i − 1). Both averages must exist on both bars.
 */
export class SmaCrossoverStrategy extends BarStrategy<Params> {
  readonly warmup: number;
  private readonly fast: SMA;
  private readonly slow: SMA;
  private fastValue = Number.NaN;
  private slowValue = Number.NaN;
  private previousFast = Number.NaN;
  private previousSlow = Number.NaN;

  constructor(params: Params) {
    super(params);
    this.fast = new SMA(params.fastPeriod);
    this.slow = new SMA(params.slowPeriod);
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

export const smaCrossover = defineStrategy({
  type: 'sma_crossover',
  name: 'SMA crossover',
  description: 'Buys when the fast simple moving average crosses above the slow one; sells when it crosses back below.',
  parameters,
  validate: (p) => (p.fastPeriod < p.slowPeriod ? null : { param: 'fastPeriod', message: 'fastPeriod must be less than slowPeriod' }),
  create: (params) => new SmaCrossoverStrategy(params),
});
