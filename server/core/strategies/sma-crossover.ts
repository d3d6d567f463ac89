import { SMA, sma } from '../indicators/sma';
import { crossoverParameters, crossoverValidate, MovingAverageCrossoverStrategy, type CrossoverParams } from './ma-crossover';
import { defineStrategy } from './types';

/** The crossover of two simple moving averages (see ma-crossover.ts for the exact rule). */
export class SmaCrossoverStrategy extends MovingAverageCrossoverStrategy {
  constructor(params: CrossoverParams) {
    super(params, (period) => new SMA(period), { kind: 'sma', batch: sma });
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
