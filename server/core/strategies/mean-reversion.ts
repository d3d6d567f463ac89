import type { CandleSeries } from '../candles';
import { SMA, sma } from '../indicators/sma';
import { StandardDeviation, stddev } from '../indicators/stddev';
import { BarStrategy } from './bar-strategy';
import { defineStrategy, type StrategyParams } from './types';

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

/**
 * z = (close − SMA(lookback)) ÷ population standard deviation of the same `lookback` closes.
 * Enter when z ≤ −entryThreshold; exit when z ≥ −exitThreshold; no decision while the deviation is 0.
 */
export class MeanReversionStrategy extends BarStrategy<Params> {
  readonly warmup: number;
  private readonly mean: SMA;
  private readonly deviation: StandardDeviation;
  private zScore = Number.NaN;
  private lastMean = Number.NaN;
  private lastDeviation = Number.NaN;

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
    this.zScore = zScore(close, mean, deviation);
    this.lastMean = mean ?? Number.NaN;
    this.lastDeviation = deviation ?? Number.NaN;
  }

  plotState(): Readonly<Record<string, number>> {
    return bands(this.lastMean, this.lastDeviation, this.zScore, this.params);
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
    this.zScore = this.lastMean = this.lastDeviation = Number.NaN;
  }
}

function zScore(close: number, mean: number | null, deviation: number | null): number {
  return mean === null || deviation === null || deviation === 0 || Number.isNaN(mean) || Number.isNaN(deviation) ? Number.NaN : (close - mean) / deviation;
}

/** The plots at one bar: the mean, the entry band (mean − entryThreshold × σ), the exit line (mean − exitThreshold × σ) and z. */
function bands(mean: number, deviation: number, z: number, params: Params) {
  return {
    mean,
    entry_band: mean - params.entryThreshold * deviation,
    exit_line: mean - params.exitThreshold * deviation,
    z_score: z,
  };
}

export const meanReversion = defineStrategy({
  type: 'mean_reversion',
  name: 'Mean reversion (z-score)',
  description: 'Buys when the close is far below its moving average in standard deviations; sells when it has come back.',
  parameters,
  validate: (p) => (p.exitThreshold < p.entryThreshold ? null : { param: 'exitThreshold', message: 'exitThreshold must be less than entryThreshold' }),
  create: (params) => new MeanReversionStrategy(params),
  plots: [
    { name: 'mean', label: 'Mean', pane: 'price', style: 'line', color: '#6366f1' },
    { name: 'entry_band', label: 'Entry band', pane: 'price', style: 'line', color: '#22c55e' },
    { name: 'exit_line', label: 'Exit line', pane: 'price', style: 'line', color: '#f59e0b' },
    { name: 'z_score', label: 'z-score', pane: 'z', style: 'line', color: '#a855f7' },
  ],
  plotValues: (series, params) => {
    // sma() and stddev() run the same SMA and StandardDeviation classes over the series: the decisions' values
    const closes = series.close;
    const means = sma(closes, params.lookbackPeriod);
    const deviations = stddev(closes, params.lookbackPeriod);
    const out = {
      mean: means,
      entry_band: new Float64Array(closes.length),
      exit_line: new Float64Array(closes.length),
      z_score: new Float64Array(closes.length),
    };
    for (let i = 0; i < closes.length; i++) {
      const at = bands(means[i]!, deviations[i]!, zScore(closes[i]!, means[i]!, deviations[i]!), params);
      out.entry_band[i] = at.entry_band;
      out.exit_line[i] = at.exit_line;
      out.z_score[i] = at.z_score;
    }
    return out;
  },
});
