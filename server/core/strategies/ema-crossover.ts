import type { CandleSeries } from '../candles';
import { EMA, ema } from '../indicators/ema';
import { crossoverParameters, crossoverValidate, MovingAverageCrossoverStrategy, type CrossoverParams } from './ma-crossover';
import { defineStrategy } from './types';

/**
 * sma_crossover's rules with EMAs (seeded with the SMA of their first `period` closes). The averages are doubles
 * compared as such: an EMA's weights are not decimal, so there is no exact decimal value to compare.
 */
export class EmaCrossoverStrategy extends MovingAverageCrossoverStrategy {
  private readonly fast: EMA;
  private readonly slow: EMA;

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
    return fast > slow ? 1 : fast < slow ? -1 : fast === slow ? 0 : Number.NaN;
  }

  protected readonly columnKind = 'ema';

  protected averageColumn(closes: Float64Array, period: number): Float64Array {
    return ema(closes, period);
  }

  protected resetAverages(): void {
    this.fast.reset();
    this.slow.reset();
  }
}

export const emaCrossover = defineStrategy({
  type: 'ema_crossover',
  name: 'EMA crossover',
  description: 'Buys when the fast exponential moving average crosses above the slow one; sells when it crosses back below.',
  parameters: crossoverParameters('exponential', { fast: 12, slow: 26 }),
  validate: crossoverValidate,
  create: (params) => new EmaCrossoverStrategy(params),
});
