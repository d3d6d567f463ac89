import type { CandleSeries } from '../candles';
import { EMA } from '../indicators/ema';
import { BarStrategy } from './bar-strategy';
import { defineStrategy, type StrategyParams } from './types';

const parameters = {
  fastPeriod: { type: 'integer', default: 12, min: 1, max: 1000, description: 'Bars in the fast exponential moving average of closes.' },
  slowPeriod: { type: 'integer', default: 26, min: 2, max: 5000, description: 'Bars in the slow exponential moving average of closes.' },
} as const;

type Params = StrategyParams<typeof parameters>;

/** sma_crossover's rules with EMAs (seeded with the SMA of their first `period` closes). */
export class EmaCrossoverStrategy extends BarStrategy<Params> {
  readonly warmup: number;
  private readonly fast: EMA;
  private readonly slow: EMA;
  private fastValue = Number.NaN;
  private slowValue = Number.NaN;
  private previousFast = Number.NaN;
  private previousSlow = Number.NaN;

  constructor(params: Params) {
    super(params);
    this.fast = new EMA(params.fastPeriod);
    this.slow = new EMA(params.slowPeriod);
    this.warmup = Math.max(params.fastPeriod, params.slowPeriod);
  }

  protected next(series: CandleSeries, i: number): void {
    const close = series.close[i]!;
    this.previousFast = this.fastValue;
    this.previousSlow = this.slowValue;
    this.fastValue = this.fast.update(close) ?? Number.NaN;
    this.slowValue = this.slow.update(close) ?? Number.NaN;
  }

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

export const emaCrossover = defineStrategy({
  type: 'ema_crossover',
  name: 'EMA crossover',
  description: 'Buys when the fast exponential moving average crosses above the slow one; sells when it crosses back below.',
  parameters,
  validate: (p) => (p.fastPeriod < p.slowPeriod ? null : { param: 'fastPeriod', message: 'fastPeriod must be less than slowPeriod' }),
  create: (params) => new EmaCrossoverStrategy(params),
});
