import { EMA, ema } from '../indicators/ema';
import { crossoverParameters, crossoverValidate, MovingAverageCrossoverStrategy, type CrossoverParams } from './ma-crossover';
import { defineStrategy } from './types';

/** sma_crossover's rules with EMAs (seeded with the SMA of their first `period` closes). */
export class EmaCrossoverStrategy extends MovingAverageCrossoverStrategy {
  constructor(params: CrossoverParams) {
    super(params, (period) => new EMA(period), { kind: 'ema', batch: ema });
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
