export type { StreamingIndicator, SteppingIndicator } from './types';
export { IndicatorColumns } from './columns';
export { SMA, sma } from './sma';
export { EMA, ema } from './ema';
export { RSI, rsi } from './rsi';
export { MACD, macd, type MacdValue, type MacdSeries } from './macd';
export { StandardDeviation, stddev } from './stddev';
export { RollingMax, RollingMin, rollingMax, rollingMin, DonchianChannel, donchian, type DonchianValue } from './rolling-extreme';
