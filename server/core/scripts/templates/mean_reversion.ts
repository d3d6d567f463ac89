import { BarStrategy, defineStrategy, SMA, StandardDeviation, type CandleSeries, type StrategyParams } from '@cryptobot/sdk';

const parameters = {
  lookbackPeriod: {
    label: 'Lookback period',
    unit: 'bars',
    type: 'integer',
    default: 20,
    min: 2,
    max: 5000,
    description: 'Bars in the mean and standard deviation of closes.',
  },
  entryThreshold: {
    label: 'Entry threshold',
    unit: 'std devs',
    type: 'float',
    default: 2,
    min: 0,
    exclusiveMin: true,
    max: 10,
    description: 'Buy when the z-score is at or below minus this.',
  },
  exitThreshold: {
    label: 'Exit threshold',
    unit: 'std devs',
    type: 'float',
    default: 0,
    min: -10,
    max: 10,
    description: 'Sell when the z-score is at or above minus this (0: back at the mean).',
  },
} as const;

type Params = StrategyParams<typeof parameters>;

/** z = (close − SMA) ÷ standard deviation over the lookback: enter when z ≤ −entry, exit when z ≥ −exit. */
class MeanReversion extends BarStrategy<Params> {
  readonly warmup: number;
  private readonly mean: SMA;
  private readonly deviation: StandardDeviation;
  private zScore = Number.NaN;

  constructor(params: Params) {
    super(params);
    this.mean = new SMA(params.lookbackPeriod);
    this.deviation = new StandardDeviation(params.lookbackPeriod);
    this.warmup = params.lookbackPeriod - 1;
  }

  protected next(series: CandleSeries, i: number): void {
    const close = series.close[i]!;
    const mean = this.mean.update(close);
    const deviation = this.deviation.update(close);
    this.zScore = mean === null || deviation === null || deviation === 0 ? Number.NaN : (close - mean) / deviation;
  }

  protected entrySignal(): boolean {
    return this.zScore <= -this.params.entryThreshold;
  }

  protected exitSignal(): boolean {
    return this.zScore >= -this.params.exitThreshold;
  }

  protected resetState(): void {
    this.mean.reset();
    this.deviation.reset();
    this.zScore = Number.NaN;
  }
}

export default defineStrategy({
  name: 'Mean reversion (z-score)',
  description: 'Buys when the close is far below its moving average in standard deviations; sells when it has come back.',
  parameters,
  validate: (p) => (p.exitThreshold < p.entryThreshold ? null : { param: 'exitThreshold', message: 'exitThreshold must be less than entryThreshold' }),
  // The instance's warmup, declared so that ranges too short for it are refused before anything runs.
  warmup: 'lookbackPeriod - 1',
  create: (params) => new MeanReversion(params),
});
