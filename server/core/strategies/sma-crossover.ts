import type { CandleSeries } from '../candles';
import { compareMeans, TickSums, tickSums } from '../indicators/decimal-ticks';
import { crossoverParameters, crossoverValidate, MovingAverageCrossoverStrategy, type CrossoverParams } from './ma-crossover';
import { defineStrategy } from './types';

/**
 * The crossover of two simple moving averages (see ma-crossover.ts for the rule), decided exactly: the averages
 * are running sums of the closes in integer ticks (decimal-ticks.ts), compared as sum ÷ period without rounding
 * error, so two averages equal in decimal arithmetic are equal here (docs/backtesting.md, "Exact decisions").
 */
export class SmaCrossoverStrategy extends MovingAverageCrossoverStrategy {
  private readonly sums: TickSums;

  constructor(params: CrossoverParams) {
    super(params);
    this.sums = new TickSums([params.fastPeriod, params.slowPeriod]);
  }

  protected compareAverages(series: CandleSeries, i: number): number {
    const { fastPeriod, slowPeriod } = this.params;
    if (this.fastColumn !== null && this.slowColumn !== null) return compareMeans(this.fastColumn[i]!, fastPeriod, this.slowColumn[i]!, slowPeriod);
    this.sums.push(series.close[i]!);
    return compareMeans(this.sums.sum(0), fastPeriod, this.sums.sum(1), slowPeriod);
  }

  protected readonly columnKind = 'tick-sum';

  protected averageColumn(closes: Float64Array, period: number): Float64Array {
    return tickSums(closes, period);
  }

  protected resetAverages(): void {
    this.sums.reset();
  }
}

export const smaCrossover = defineStrategy({
  type: 'sma_crossover',
  name: 'SMA crossover',
  description: 'Buys when the fast simple moving average crosses above the slow one; sells when it crosses back below.',
  parameters: crossoverParameters('simple', { fast: 10, slow: 30 }),
  validate: crossoverValidate,
  create: (params) => new SmaCrossoverStrategy(params),
});
