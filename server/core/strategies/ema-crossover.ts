import type { CandleSeries } from '../candles';
import { EMA, ema } from '../indicators/ema';
import { crossoverParameters, crossoverPlots, crossoverValidate, MovingAverageCrossoverStrategy, type CrossoverParams } from './ma-crossover';
import { defineStrategy } from './types';

/**
 * sma_crossover's rules with EMAs (seeded with the SMA of their first `period` closes). The averages are doubles
 * compared as such: an EMA's weights are not decimal, so there is no exact decimal value to compare.
 */
export class EmaCrossoverStrategy extends MovingAverageCrossoverStrategy {
  private readonly fast: EMA;
  private readonly slow: EMA;
  /** the averages the last decision compared (NaN while warming up) */
  private lastFast = Number.NaN;
  private lastSlow = Number.NaN;

  constructor(params: CrossoverParams) {
    super(params);
    this.fast = new EMA(params.fastPeriod);
    this.slow = new EMA(params.slowPeriod);
  }

  protected compareAverages(series: CandleSeries, i: number): number {
    let fast: number;
    let slow: number;
    if (this.fastColumn !== null && this.slowColumn !== null) {
      fast = this.fastColumn[i]!;
      slow = this.slowColumn[i]!;
    } else {
      const close = series.close[i]!;
      // step(x) ≡ update(x) ?? NaN, without a heap number per value
      fast = this.fast.step(close);
      slow = this.slow.step(close);
    }
    this.lastFast = fast;
    this.lastSlow = slow;
    return fast > slow ? 1 : fast < slow ? -1 : fast === slow ? 0 : Number.NaN;
  }

  protected readonly columnKind = 'ema';

  protected averageColumn(closes: Float64Array, period: number, out: Float64Array): Float64Array {
    return ema(closes, period, out);
  }

  protected resetAverages(): void {
    this.fast.reset();
    this.slow.reset();
    this.lastFast = this.lastSlow = Number.NaN;
  }

  plotState(): Readonly<Record<string, number>> {
    return { fast_ma: this.lastFast, slow_ma: this.lastSlow };
  }
}

export const emaCrossover = defineStrategy({
  type: 'ema_crossover',
  name: 'EMA crossover',
  description: 'Buys when the fast exponential moving average crosses above the slow one; sells when it crosses back below.',
  parameters: crossoverParameters('exponential', { fast: 12, slow: 26 }),
  validate: crossoverValidate,
  create: (params) => new EmaCrossoverStrategy(params),
  plots: crossoverPlots('EMA'),
  // ema() is the EMA class run over the series (the column the engine shares in a sweep): bit for bit the same values
  plotValues: (series, params) => ({ fast_ma: ema(series.close, params.fastPeriod), slow_ma: ema(series.close, params.slowPeriod) }),
});
