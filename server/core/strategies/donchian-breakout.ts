import type { CandleSeries } from '../candles';
import { RollingMax, RollingMin, rollingMax, rollingMin } from '../indicators/rolling-extreme';
import { BarStrategy } from './bar-strategy';
import { defineStrategy, type StrategyParams } from './types';

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

/**
 * Enter when close[i] > max(high[i − N .. i − 1]); exit when close[i] < min(low[i − M .. i − 1]).
 * The channels are of the previous bars only (bar i is not part of its own channel); neither signal fires
 * before both channels exist (bar max(N, M)).
 */
export class DonchianBreakoutStrategy extends BarStrategy<Params> {
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
    // Both channels must exist before either signal counts, so nothing fires before `warmup`.
    const ready = high !== null && low !== null;
    this.previousHigh = ready ? high : Number.NaN;
    this.previousLow = ready ? low : Number.NaN;
    this.highest.update(series.high[i]!);
    this.lowest.update(series.low[i]!);
    this.close = series.close[i]!;
  }

  plotState(): Readonly<Record<string, number>> {
    return { upper: this.previousHigh, lower: this.previousLow };
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

export const donchianBreakout = defineStrategy({
  type: 'donchian_breakout',
  name: 'Donchian channel breakout',
  description: 'Buys when the close breaks above the previous N-bar high; sells when it breaks below the previous M-bar low.',
  parameters,
  create: (params) => new DonchianBreakoutStrategy(params),
  plots: [
    { name: 'upper', label: 'Entry channel (previous high)', pane: 'price', style: 'line', color: '#22c55e' },
    { name: 'lower', label: 'Exit channel (previous low)', pane: 'price', style: 'line', color: '#ef4444' },
  ],
  plotValues: (series, params) => {
    // The channels of bars i − N .. i − 1: the rolling extremes after bar i − 1, shown on bar i once both exist.
    const highs = rollingMax(series.high, params.entryPeriod);
    const lows = rollingMin(series.low, params.exitPeriod);
    const upper = new Float64Array(series.length).fill(Number.NaN);
    const lower = new Float64Array(series.length).fill(Number.NaN);
    for (let i = 1; i < series.length; i++) {
      const high = highs[i - 1]!;
      const low = lows[i - 1]!;
      if (Number.isNaN(high) || Number.isNaN(low)) continue;
      upper[i] = high;
      lower[i] = low;
    }
    return { upper, lower };
  },
});
