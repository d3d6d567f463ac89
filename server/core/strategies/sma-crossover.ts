import type { CandleSeries } from '../candles';
import { compareMeans, TickSums, tickSums } from '../indicators/decimal-ticks';
import { crossoverParameters, crossoverPlots, crossoverValidate, MovingAverageCrossoverStrategy, type CrossoverParams } from './ma-crossover';
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

  plotState(): Readonly<Record<string, number>> {
    return tickMeans(this.sums, this.params.fastPeriod, this.params.slowPeriod);
  }

  protected readonly columnKind = 'tick-sum';

  protected averageColumn(closes: Float64Array, period: number, out: Float64Array): Float64Array {
    return tickSums(closes, period, out);
  }

  protected resetAverages(): void {
    this.sums.reset();
  }
}

/** The two means the decision compares, as doubles: a sum in ticks ÷ (ticks per unit × period), one rounding. */
function tickMeans(sums: TickSums, fastPeriod: number, slowPeriod: number): { fast_ma: number; slow_ma: number } {
  const unit = sums.ticksPerUnit;
  return { fast_ma: sums.sum(0) / (unit * fastPeriod), slow_ma: sums.sum(1) / (unit * slowPeriod) };
}

/** The averages over every bar of `closes`, from the same tick sums the decisions compare. */
function smaPlotValues(closes: Float64Array, fastPeriod: number, slowPeriod: number): { fast_ma: Float64Array; slow_ma: Float64Array } {
  const sums = new TickSums([fastPeriod, slowPeriod]);
  const fast = new Float64Array(closes.length);
  const slow = new Float64Array(closes.length);
  for (let i = 0; i < closes.length; i++) {
    sums.push(closes[i]!);
    const means = tickMeans(sums, fastPeriod, slowPeriod);
    fast[i] = means.fast_ma;
    slow[i] = means.slow_ma;
  }
  return { fast_ma: fast, slow_ma: slow };
}

export const smaCrossover = defineStrategy({
  type: 'sma_crossover',
  name: 'SMA crossover',
  description: 'Buys when the fast simple moving average crosses above the slow one; sells when it crosses back below.',
  parameters: crossoverParameters('simple', { fast: 10, slow: 30 }),
  validate: crossoverValidate,
  create: (params) => new SmaCrossoverStrategy(params),
  plots: crossoverPlots('SMA'),
  plotValues: (series, params) => smaPlotValues(series.close, params.fastPeriod, params.slowPeriod),
});
