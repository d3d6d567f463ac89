/**
 * The strategy SDK a user script imports as `@cryptobot/sdk` (docs/strategies.md, "Your own strategies"): the same
 * building blocks the built-in strategies are written with, so a script written like a built-in decides exactly
 * like it. Bundled into the sandbox with the backtest engine (runtime.ts); the editor loads its type declarations.
 */
import type { ParamSchema, StrategyDefinition } from '../strategies/types';

/** A script's strategy: a built-in's definition without `type` (a script's type is `script:<scriptId>@<version>`). */
export type ScriptDefinition<S extends ParamSchema = ParamSchema> = Omit<StrategyDefinition<S>, 'type'> & {
  /**
   * The warm-up in bars as an expression over the parameters, e.g. `'max(fastPeriod, slowPeriod)'` or
   * `"entryMode == 'cross' ? period + 1 : period"` (numbers, parameters, + − × ÷, comparisons, `a ? b : c`, max, min,
   * ceil, floor, round, abs). Read without running the script, so walk-forward windows and bias-check ranges too short
   * for it are refused when asked for; it must equal the instance's `warmup` (checked on every run).
   */
  readonly warmup?: string;
};

/** Identity helper that keeps the literal types of `parameters`, so `create` receives typed params. */
export function defineStrategy<const S extends ParamSchema>(definition: ScriptDefinition<S>): ScriptDefinition<S> {
  return definition;
}
export type {
  BarContext,
  CommonParams,
  Decision,
  ParamIssue,
  ParamSchema,
  ParamSpec,
  ParamsOf,
  PlotSpec,
  PositionView,
  StrategyDefinition,
  StrategyInstance,
  StrategyParams,
} from '../strategies/types';
export type { CandleSeries } from '../candles';
export { BarStrategy } from '../strategies/bar-strategy';
export {
  SMA,
  sma,
  EMA,
  ema,
  RSI,
  rsi,
  MACD,
  macd,
  StandardDeviation,
  stddev,
  RollingMax,
  RollingMin,
  rollingMax,
  rollingMin,
  DonchianChannel,
  donchian,
} from '../indicators';
export type { MacdValue, DonchianValue } from '../indicators';
export { TickSums, tickSums, compareMeans } from '../indicators/decimal-ticks';
export { log } from './log';
