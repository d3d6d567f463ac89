export * from './types';
export { runBacktest, validateBacktestConfig, ENGINE_VERSION } from './engine';
export { computeMetrics, buyAndHoldReturnPct, annualisationFactor } from './metrics';
export { generateGrid, SweepError, MAX_SWEEP_COMBINATIONS, type ParamRange, type SweepGrid } from './sweep';
export { TradeLog, FillLog, EXIT_REASONS, FILL_REASONS } from './trade-log';
export {
  runPortfolioBacktest,
  validatePortfolio,
  MAX_PAIRS,
  MAX_OPEN_POSITIONS,
  type PortfolioConfig,
  type PortfolioPair,
  type PortfolioResult,
  type PairBreakdown,
  type PortfolioTrade,
  type PortfolioMarker,
  type StakeRule,
  type EntryPriority,
} from './portfolio';
