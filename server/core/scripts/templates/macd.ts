import { BarStrategy, defineStrategy, MACD, type CandleSeries, type StrategyParams } from '@cryptobot/sdk';

const parameters = {
  fastPeriod: { label: 'Fast period', unit: 'bars', type: 'integer', default: 12, min: 1, max: 1000, description: 'Bars in the fast EMA.' },
  slowPeriod: { label: 'Slow period', unit: 'bars', type: 'integer', default: 26, min: 2, max: 2000, description: 'Bars in the slow EMA.' },
  signalPeriod: {
    label: 'Signal period',
    unit: 'bars',
    type: 'integer',
    default: 9,
    min: 1,
    max: 1000,
    description: 'Bars in the EMA of the MACD line (signal line).',
  },
} as const;

type Params = StrategyParams<typeof parameters>;

/** Enter when the MACD line crosses above its signal line (histogram turns positive); exit when it crosses below. */
class MacdStrategy extends BarStrategy<Params> {
  readonly warmup: number;
  private readonly macd: MACD;
  private histogram = Number.NaN;
  private previousHistogram = Number.NaN;

  constructor(params: Params) {
    super(params);
    this.macd = new MACD(params.fastPeriod, params.slowPeriod, params.signalPeriod);
    this.warmup = this.macd.warmup;
  }

  protected next(series: CandleSeries, i: number): void {
    this.previousHistogram = this.histogram;
    const value = this.macd.update(series.close[i]!);
    this.histogram = value === null ? Number.NaN : value.macd - value.signal;
  }

  protected entrySignal(): boolean {
    return this.histogram > 0 && this.previousHistogram <= 0;
  }

  protected exitSignal(): boolean {
    return this.histogram < 0 && this.previousHistogram >= 0;
  }

  protected resetState(): void {
    this.macd.reset();
    this.histogram = this.previousHistogram = Number.NaN;
  }
}

export default defineStrategy({
  name: 'MACD signal cross',
  description: 'Buys when the MACD line crosses above its signal line; sells when it crosses below.',
  parameters,
  validate: (p) => (p.fastPeriod < p.slowPeriod ? null : { param: 'fastPeriod', message: 'fastPeriod must be less than slowPeriod' }),
  // The instance's warmup, declared so that ranges too short for it are refused before anything runs.
  warmup: 'max(fastPeriod, slowPeriod) + signalPeriod - 1',
  create: (params) => new MacdStrategy(params),
});
