import { BarStrategy, defineStrategy, RSI, type CandleSeries, type StrategyParams } from '@cryptobot/sdk';

const parameters = {
  period: { label: 'RSI period', unit: 'bars', type: 'integer', default: 14, min: 2, max: 1000, description: 'Bars in the Wilder RSI.' },
  oversold: {
    label: 'Oversold level',
    unit: 'RSI',
    type: 'float',
    default: 30,
    min: 0,
    max: 100,
    description: 'RSI level below which the market is oversold.',
  },
  overbought: {
    label: 'Overbought level',
    unit: 'RSI',
    type: 'float',
    default: 70,
    min: 0,
    max: 100,
    description: 'RSI level above which the market is overbought.',
  },
  entryMode: {
    label: 'Entry rule',
    type: 'enum',
    default: 'cross',
    options: ['cross', 'level'],
    description: 'cross: buy on the bar RSI falls below oversold; level: buy on any bar RSI is below oversold.',
  },
} as const;

type Params = StrategyParams<typeof parameters>;

/** Enter when the RSI falls below oversold (cross) or is below it (level); exit when it is above overbought. */
class RsiStrategy extends BarStrategy<Params> {
  readonly warmup: number;
  private readonly rsi: RSI;
  private current = Number.NaN;
  private previous = Number.NaN;

  constructor(params: Params) {
    super(params);
    this.rsi = new RSI(params.period);
    this.warmup = params.entryMode === 'cross' ? params.period + 1 : params.period;
  }

  protected next(series: CandleSeries, i: number): void {
    this.previous = this.current;
    this.current = this.rsi.update(series.close[i]!) ?? Number.NaN;
  }

  protected entrySignal(): boolean {
    const { oversold } = this.params;
    if (this.params.entryMode === 'level') return this.current < oversold;
    return this.current < oversold && this.previous >= oversold;
  }

  protected exitSignal(): boolean {
    return this.current > this.params.overbought;
  }

  protected resetState(): void {
    this.rsi.reset();
    this.current = this.previous = Number.NaN;
  }
}

export default defineStrategy({
  name: 'RSI oversold/overbought',
  description: 'Buys when the RSI drops below the oversold level; sells when it rises above the overbought level.',
  parameters,
  validate: (p) => (p.oversold < p.overbought ? null : { param: 'oversold', message: 'oversold must be less than overbought' }),
  // The instance's warmup, declared so that ranges too short for it are refused before anything runs.
  warmup: "entryMode == 'cross' ? period + 1 : period",
  create: (params) => new RsiStrategy(params),
});
