import { dca } from './dca';
import { donchianBreakout } from './donchian-breakout';
import { emaCrossover } from './ema-crossover';
import { macdStrategy } from './macd';
import { meanReversion } from './mean-reversion';
import { parseParams } from './params';
import { rsiStrategy } from './rsi';
import { signalStrategy } from './signal';
import { smaCrossover } from './sma-crossover';
import type { ParamSchema, StrategyDefinition, StrategyInstance } from './types';

/** Every built-in strategy, by type. Adding a strategy: one file exporting its definition + one line here. */
const definitions: readonly StrategyDefinition<ParamSchema>[] = [
  meanReversion,
  smaCrossover,
  emaCrossover,
  rsiStrategy,
  macdStrategy,
  donchianBreakout,
  dca,
  signalStrategy,
];

export const strategyRegistry: ReadonlyMap<string, StrategyDefinition<ParamSchema>> = new Map(definitions.map((d) => [d.type, d]));

export class UnknownStrategyError extends Error {
  constructor(readonly strategyType: string) {
    super(`unknown strategy type "${strategyType}" (known: ${[...strategyRegistry.keys()].join(', ')})`);
    this.name = 'UnknownStrategyError';
  }
}

export function getStrategyDefinition(type: string): StrategyDefinition<ParamSchema> {
  const definition = strategyRegistry.get(type);
  if (!definition) throw new UnknownStrategyError(type);
  return definition;
}

export function listStrategyDefinitions(): StrategyDefinition<ParamSchema>[] {
  return [...strategyRegistry.values()];
}

/** Validates raw params against the type's schema and creates an instance; throws StrategyParamsError / UnknownStrategyError. */
export function createStrategy(type: string, rawParams: unknown): StrategyInstance {
  const definition = getStrategyDefinition(type);
  return definition.create(parseParams(definition, rawParams));
}

/** The strategies that decide on bars (every one but the signal strategy): what backtests and bar tests cover. */
export function listBarStrategyDefinitions(): StrategyDefinition<ParamSchema>[] {
  return listStrategyDefinitions().filter((d) => (d.decidesBy ?? 'bars') === 'bars');
}
