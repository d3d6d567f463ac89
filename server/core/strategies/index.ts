export * from './types';
export { COMMON_PARAMETERS, paramsSchema, parseParams, strategyParameters, StrategyParamsError } from './params';
export { BarStrategy } from './bar-strategy';
export { strategyRegistry, getStrategyDefinition, listStrategyDefinitions, listBarStrategyDefinitions, createStrategy, UnknownStrategyError } from './registry';
export { SIGNAL_STRATEGY_TYPE, isSignalStrategyType } from './signal';
