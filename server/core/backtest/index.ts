export * from './types';
export { runBacktest, validateBacktestConfig, ENGINE_VERSION } from './engine';
export { computeMetrics, buyAndHoldReturnPct, annualisationFactor } from './metrics';
export { generateGrid, SweepError, MAX_SWEEP_COMBINATIONS, type ParamRange, type SweepGrid } from './sweep';
export { TradeLog, FillLog, EXIT_REASONS, FILL_REASONS } from './trade-log';
