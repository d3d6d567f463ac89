import type { CandleSeries } from '../candles';
import { MACD, macd } from '../indicators/macd';
import { BarStrategy } from './bar-strategy';
import { defineStrategy, type StrategyParams } from './types';

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

/** Enter when the MACD line crosses above the signal line (above on i, at or below on i − 1); exit on the opposite cross. */
export class MacdStrategy extends BarStrategy<Params> {
  readonly warmup: number;
  private readonly macd: MACD;
  private histogram = Number.NaN;
  private previousHistogram = Number.NaN;
  private line = Number.NaN;
  private signal = Number.NaN;

  constructor(params: Params) {
    super(params);
    this.macd = new MACD(params.fastPeriod, params.slowPeriod, params.signalPeriod);
    this.warmup = this.macd.warmup;
  }

  protected next(series: CandleSeries, i: number): void {
    this.previousHistogram = this.histogram;
    const value = this.macd.update(series.close[i]!);
    this.histogram = value === null ? Number.NaN : value.macd - value.signal;
    this.line = this.macd.macdLine ?? Number.NaN;
    this.signal = value === null ? Number.NaN : value.signal;
  }

  plotState(): Readonly<Record<string, number>> {
    return { macd: this.line, signal: this.signal, histogram: this.histogram };
  }

  protected entrySignal(): boolean {
    return this.histogram > 0 && this.previousHistogram <= 0;
  }

  protected exitSignal(): boolean {
    return this.histogram < 0 && this.previousHistogram >= 0;
  }

  protected resetState(): void {
    this.macd.reset();
    this.histogram = this.previousHistogram = this.line = this.signal = Number.NaN;
  }
}

export const macdStrategy = defineStrategy({
  type: 'macd',
  name: 'MACD signal cross',
  description: 'Buys when the MACD line crosses above its signal line; sells when it crosses below.',
  parameters,
  validate: (p) => (p.fastPeriod < p.slowPeriod ? null : { param: 'fastPeriod', message: 'fastPeriod must be less than slowPeriod' }),
  create: (params) => new MacdStrategy(params),
  plots: [
    { name: 'histogram', label: 'Histogram', pane: 'macd', style: 'histogram', color: '#64748b' },
    { name: 'macd', label: 'MACD', pane: 'macd', style: 'line', color: '#3b82f6' },
    { name: 'signal', label: 'Signal', pane: 'macd', style: 'line', color: '#f97316' },
  ],
  plotValues: (series, params) => {
    const values = macd(series.close, params.fastPeriod, params.slowPeriod, params.signalPeriod);
    return { macd: values.macd, signal: values.signal, histogram: values.histogram };
  },
});
