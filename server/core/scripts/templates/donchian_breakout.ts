import { BarStrategy, defineStrategy, RollingMax, RollingMin, type CandleSeries, type StrategyParams } from '@cryptobot/sdk';

const parameters = {
  entryPeriod: {
    label: 'Entry channel',
    unit: 'bars',
    type: 'integer',
    default: 20,
    min: 1,
    max: 5000,
    description: 'Buy when the close breaks above the highest high of this many previous bars.',
  },
  exitPeriod: {
    label: 'Exit channel',
    unit: 'bars',
    type: 'integer',
    default: 10,
    min: 1,
    max: 5000,
    description: 'Sell when the close breaks below the lowest low of this many previous bars.',
  },
} as const;

type Params = StrategyParams<typeof parameters>;

/** Enter when the close is above the previous N bars' highest high; exit when below the previous M bars' lowest low. */
class DonchianBreakout extends BarStrategy<Params> {
  readonly warmup: number;
  private readonly highest: RollingMax;
  private readonly lowest: RollingMin;
  private previousHigh = Number.NaN;
  private previousLow = Number.NaN;
  private close = Number.NaN;

  constructor(params: Params) {
    super(params);
    this.highest = new RollingMax(params.entryPeriod);
    this.lowest = new RollingMin(params.exitPeriod);
    this.warmup = Math.max(params.entryPeriod, params.exitPeriod);
  }

  protected next(series: CandleSeries, i: number): void {
    const high = this.highest.value;
    const low = this.lowest.value;
    // both channels must exist before either signal counts
    const ready = high !== null && low !== null;
    this.previousHigh = ready ? high : Number.NaN;
    this.previousLow = ready ? low : Number.NaN;
    this.highest.update(series.high[i]!);
    this.lowest.update(series.low[i]!);
    this.close = series.close[i]!;
  }

  protected entrySignal(): boolean {
    return this.close > this.previousHigh;
  }

  protected exitSignal(): boolean {
    return this.close < this.previousLow;
  }

  protected resetState(): void {
    this.highest.reset();
    this.lowest.reset();
    this.previousHigh = this.previousLow = this.close = Number.NaN;
  }
}

export default defineStrategy({
  name: 'Donchian channel breakout',
  description: 'Buys when the close breaks above the previous N-bar high; sells when it breaks below the previous M-bar low.',
  parameters,
  // The instance's warmup, declared so that ranges too short for it are refused before anything runs.
  warmup: 'max(entryPeriod, exitPeriod)',
  create: (params) => new DonchianBreakout(params),
});
