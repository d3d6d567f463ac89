export * from './types';
export { COMMON_PARAMETERS, paramsSchema, parseParams, strategyParameters, StrategyParamsError } from './params';
export { BarStrategy } from './bar-strategy';
export { strategyRegistry, getStrategyDefinition, listStrategyDefinitions, createStrategy, UnknownStrategyError } from './registry';
