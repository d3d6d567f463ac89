import { BarStrategy, compareMeans, defineStrategy, sma, TickSums, type CandleSeries, type StrategyParams } from '@cryptobot/sdk';

const parameters = {
  fastPeriod: {
    label: 'Fast period',
    unit: 'bars',
    type: 'integer',
    default: 10,
    min: 1,
    max: 1000,
    description: 'Bars in the fast simple moving average of closes.',
  },
  slowPeriod: {
    label: 'Slow period',
    unit: 'bars',
    type: 'integer',
    default: 30,
    min: 2,
    max: 5000,
    description: 'Bars in the slow simple moving average of closes.',
  },
} as const;

type Params = StrategyParams<typeof parameters>;

/**
 * Enter when SMA(fast) crosses above SMA(slow) (above on this bar, at or below on the previous one); exit on the
 * opposite cross. The averages are running sums in integer ticks, compared exactly (TickSums, compareMeans).
 */
class SmaCrossover extends BarStrategy<Params> {
  readonly warmup: number;
  private readonly sums: TickSums;
  /** sign of SMA(fast) − SMA(slow) after this bar and the one before (NaN while warming up) */
  private order = Number.NaN;
  private previousOrder = Number.NaN;

  constructor(params: Params) {
    super(params);
    this.warmup = Math.max(params.fastPeriod, params.slowPeriod);
    this.sums = new TickSums([params.fastPeriod, params.slowPeriod]);
  }

  protected next(series: CandleSeries, i: number): void {
    this.previousOrder = this.order;
    this.sums.push(series.close[i]!);
    this.order = compareMeans(this.sums.sum(0), this.params.fastPeriod, this.sums.sum(1), this.params.slowPeriod);
  }

  protected entrySignal(): boolean {
    return this.order > 0 && this.previousOrder <= 0;
  }

  protected exitSignal(): boolean {
    return this.order < 0 && this.previousOrder >= 0;
  }

  protected resetState(): void {
    this.sums.reset();
    this.order = this.previousOrder = Number.NaN;
  }
}

export default defineStrategy({
  name: 'SMA crossover',
  description: 'Buys when the fast simple moving average crosses above the slow one; sells when it crosses back below.',
  parameters,
  validate: (p) => (p.fastPeriod < p.slowPeriod ? null : { param: 'fastPeriod', message: 'fastPeriod must be less than slowPeriod' }),
  // The instance's warmup, declared so that ranges too short for it are refused before anything runs.
  warmup: 'max(fastPeriod, slowPeriod)',
  create: (params) => new SmaCrossover(params),
  // Drawn on the price chart; the decisions compare the exact tick sums above, the chart draws the averages.
  plots: [
    { name: 'fast_ma', label: 'Fast SMA', pane: 'price', style: 'line', color: '#f59e0b' },
    { name: 'slow_ma', label: 'Slow SMA', pane: 'price', style: 'line', color: '#6366f1' },
  ],
  plotValues: (series, params) => ({ fast_ma: sma(series.close, params.fastPeriod), slow_ma: sma(series.close, params.slowPeriod) }),
});
