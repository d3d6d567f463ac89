import type { CandleSeries } from '../candles';
import type { IndicatorColumns } from '../indicators/columns';

/**
 * What a form shows for a parameter: `label` in words ("Fast period") and, for numbers, the `unit` its value
 * is in ("bars", "%", "quote": the market's quote currency, e.g. USDT), shown as "Fast period (bars)".
 * Every built-in strategy declares both (registry test); a form falls back to the parameter's name.
 */
export interface ParamLabel {
  readonly label?: string;
  readonly unit?: ParamUnit;
}
export type ParamUnit = 'bars' | '%' | 'quote' | 'std devs' | 'RSI';

/**
 * One parameter of a strategy. The same declaration validates input (see `paramsSchema`), renders the
 * form in the UI and documents the REST API, so it is plain JSON-serialisable data.
 * A numeric parameter whose `default` is null is optional: missing means "not set" (null).
 */
export type ParamSpec = ParamLabel &
  (
    | {
        readonly type: 'integer' | 'float';
        readonly default: number | null;
        readonly min?: number;
        readonly max?: number;
        /** `min` itself is not allowed (value > min) */
        readonly exclusiveMin?: boolean;
        /** `max` itself is not allowed (value < max) */
        readonly exclusiveMax?: boolean;
        readonly description: string;
      }
    | { readonly type: 'boolean'; readonly default: boolean; readonly description: string }
    | { readonly type: 'enum'; readonly default: string; readonly options: readonly string[]; readonly description: string }
  );

export type ParamSchema = { readonly [name: string]: ParamSpec };

type ParamValue<S extends ParamSpec> = S extends { type: 'boolean' }
  ? boolean
  : S extends { type: 'enum'; options: readonly (infer O)[] }
    ? O
    : S extends { default: null }
      ? number | null
      : number;

/** The validated values of a parameter schema, typed from its declaration. */
export type ParamsOf<S extends ParamSchema> = { -readonly [K in keyof S]: ParamValue<S[K]> };

/** Parameters every strategy accepts (see COMMON_PARAMETERS for their ranges and meaning). */
export interface CommonParams {
  /** % of the available cash spent on an entry, 0 < p ≤ 100 */
  positionSizePct: number;
  /** exit when the price falls this % below the entry fill price */
  stopLossPct: number | null;
  /** exit when the price rises this % above the entry fill price */
  takeProfitPct: number | null;
  /** exit when the price falls this % below the highest price since entry */
  trailingStopPct: number | null;
}

export type StrategyParams<S extends ParamSchema> = ParamsOf<S> & CommonParams;

/** What a strategy sees on a bar: the series of closed bars and the index of the bar that just closed. */
export interface BarContext {
  readonly series: CandleSeries;
  /** the strategy may read bars 0..index of `series`, never later ones */
  readonly index: number;
}

/** The open position, as the engine (or the live runner) holds it. */
export interface PositionView {
  /** average fill price of the position's buys, quote per base (fees excluded) */
  readonly entryPrice: number;
  /** open time (ms, UTC) of the bar the first buy filled on */
  readonly entryTime: number;
  /** quantity held, base units */
  readonly quantity: number;
}

/** A strategy's advice for the bar that just closed; it never places orders itself. */
export type Decision = 'enter' | 'exit' | null;

/**
 * A strategy made from validated parameters. Decisions are synchronous and see only closed bars.
 * The instance keeps streaming indicator state; calls must move forward one bar at a time over one series,
 * or it replays the series from bar 0 to catch up (so any call order is correct, in-order calls are O(1)).
 */
export interface StrategyInstance {
  readonly params: Readonly<CommonParams> & Readonly<Record<string, unknown>>;
  /** bars 0..warmup−1 can never produce a decision (indicators are still warming up) */
  readonly warmup: number;
  /** true when 'enter' while a position is open means "buy more" (DCA); false: entries only when flat */
  readonly accumulates: boolean;
  /** quote amount spent per buy including the fee (DCA); null: spend positionSizePct of the cash */
  readonly fixedEntryQuote: number | null;
  /** forget all state: the next call starts a new series */
  reset(): void;
  /**
   * The decision at the close of bar ctx.index. Flat (position null): 'enter' or null.
   * Holding: 'exit', 'enter' (only when `accumulates`) or null.
   */
  onBar(ctx: BarContext, position?: PositionView | null): Decision;
  /**
   * Optional. How strongly the strategy wants to enter at the close of bar ctx.index, called after an 'enter'
   * from onBar on the same bar. Over a pair list with `priority: 'score'` the candidates with the highest score
   * take the free slots first (docs/backtesting.md, Pair lists, P3).
   */
  entryScore?(ctx: BarContext): number;
  shouldOpenPosition(ctx: BarContext): boolean;
  shouldClosePosition(position: PositionView, ctx: BarContext): boolean;
  /** Per bar of the series: 1 entry condition, −1 exit condition (position-independent), 0 neither. Resets the instance. */
  generateSignals(series: CandleSeries): Int8Array;
  /**
   * Optional. The engine calls it right after reset() when it is about to feed every bar of `series` in order
   * (bar 0, 1, 2, …) and holds indicator columns shared with other runs over the same candles (a sweep). The
   * strategy may then read its indicators' values from columns over `series` instead of updating them bar by bar;
   * a call for another series or out of order drops the columns and rebuilds the streaming state, so decisions
   * are the same either way.
   */
  useColumns?(series: CandleSeries, columns: IndicatorColumns): void;
  /**
   * Optional. The values of the definition's plots (PlotSpec.name → value, NaN while warming up) after the last
   * bar fed one by one, exactly as the decisions read them; the test that plotValues equals what the decisions
   * see reads it. Not defined while the instance reads shared columns (useColumns).
   */
  plotState?(): Readonly<Record<string, number>>;
}

export interface ParamIssue {
  readonly param: string;
  readonly message: string;
}

export interface StrategyDefinition<S extends ParamSchema = ParamSchema> {
  /** registry key, snake_case, stable: stored with strategies and backtests */
  readonly type: string;
  readonly name: string;
  readonly description: string;
  /** the strategy's own parameters; COMMON_PARAMETERS are added by paramsSchema */
  readonly parameters: S;
  /**
   * Where the decisions come from: 'bars' (default: onBar on each closed candle, backtestable) or 'signals'
   * (nothing on bars; orders come from the deployment's signal webhook: docs/signals.md).
   */
  readonly decidesBy?: 'bars' | 'signals';
  /** rules across parameters (e.g. fast < slow); return the offending parameter and why */
  validate?(params: ParamsOf<S>): ParamIssue | null;
  create(params: StrategyParams<S>): StrategyInstance;
  /**
   * What a chart draws for this strategy (#14): one entry per indicator line, next to the parameters.
   * Optional: a strategy without plots gets candles, volume and trade markers only.
   */
  readonly plots?: readonly PlotSpec[];
  /**
   * The values of every declared plot over `series`, one number per bar (NaN where the indicator is still
   * warming up), keyed by PlotSpec.name. Must equal what the strategy's decisions read at each bar.
   */
  plotValues?(series: CandleSeries, params: StrategyParams<S>): Readonly<Record<string, Float64Array>>;
}

/**
 * One plotted indicator. `pane: 'price'` draws over the candles (moving averages, bands, channels);
 * any other name is its own pane below (e.g. 'rsi', 'macd'); plots sharing a pane name share the pane.
 */
export interface PlotSpec {
  /** key in plotValues' result; stable, snake_case or camelCase */
  readonly name: string;
  /** legend text, e.g. "SMA 20" */
  readonly label: string;
  readonly pane: 'price' | (string & {});
  readonly style: 'line' | 'histogram' | 'dots';
  /** CSS colour; the chart picks one when missing */
  readonly color?: string;
}

/** Identity helper that keeps the literal types of `parameters`, so `create` receives typed params. */
export function defineStrategy<const S extends ParamSchema>(definition: StrategyDefinition<S>): StrategyDefinition<S> {
  return definition;
}
