import { BarStrategy, defineStrategy, EMA, type CandleSeries, type StrategyParams } from '@cryptobot/sdk';

const parameters = {
  fastPeriod: {
    label: 'Fast period',
    unit: 'bars',
    type: 'integer',
    default: 12,
    min: 1,
    max: 1000,
    description: 'Bars in the fast exponential moving average of closes.',
  },
  slowPeriod: {
    label: 'Slow period',
    unit: 'bars',
    type: 'integer',
    default: 26,
    min: 2,
    max: 5000,
    description: 'Bars in the slow exponential moving average of closes.',
  },
} as const;

type Params = StrategyParams<typeof parameters>;

/** Enter when EMA(fast) crosses above EMA(slow); exit when it crosses back below. */
class EmaCrossover extends BarStrategy<Params> {
  readonly warmup: number;
  private readonly fast: EMA;
  private readonly slow: EMA;
  private order = Number.NaN;
  private previousOrder = Number.NaN;

  constructor(params: Params) {
    super(params);
    this.warmup = Math.max(params.fastPeriod, params.slowPeriod);
    this.fast = new EMA(params.fastPeriod);
    this.slow = new EMA(params.slowPeriod);
  }

  protected next(series: CandleSeries, i: number): void {
    this.previousOrder = this.order;
    const close = series.close[i]!;
    const fast = this.fast.step(close);
    const slow = this.slow.step(close);
    this.order = fast > slow ? 1 : fast < slow ? -1 : fast === slow ? 0 : Number.NaN;
  }

  protected entrySignal(): boolean {
    return this.order > 0 && this.previousOrder <= 0;
  }

  protected exitSignal(): boolean {
    return this.order < 0 && this.previousOrder >= 0;
  }

  protected resetState(): void {
    this.fast.reset();
    this.slow.reset();
    this.order = this.previousOrder = Number.NaN;
  }
}

export default defineStrategy({
  name: 'EMA crossover',
  description: 'Buys when the fast exponential moving average crosses above the slow one; sells when it crosses back below.',
  parameters,
  validate: (p) => (p.fastPeriod < p.slowPeriod ? null : { param: 'fastPeriod', message: 'fastPeriod must be less than slowPeriod' }),
  // The instance's warmup, declared so that ranges too short for it are refused before anything runs.
  warmup: 'max(fastPeriod, slowPeriod)',
  create: (params) => new EmaCrossover(params),
});
