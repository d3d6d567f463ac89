/**
 * A script's strategy instance as the engine (backtest, inside the isolate) and the live runner (live.ts) see it.
 * Lives inside the sandbox, bundled by runtime.ts.
 */
import type { CandleSeries } from '../candles';
import type { BarContext, Decision, PositionView, StrategyInstance } from '../strategies/types';

/**
 * The candles a script sees: a series whose `length` is the number of bars up to and including the current one,
 * with nothing after it (NaN, or no bar at all). `reveal(i)` makes bar i the current one; `forget()` hides them all.
 */
export interface RevealedSeries extends CandleSeries {
  /** `source`: the series the caller decides over (a view that follows it copies from it; others hold their own) */
  reveal(i: number, source: CandleSeries): void;
  forget(): void;
}

/**
 * What a script is handed as `ctx.series`: the columns and `length` of its view, read through, and nothing else of
 * the view — not the series it copies from (all of the bars, the ones after the current bar too), not `reveal` or
 * `put`: the view is a private field, out of the script's reach.
 */
class ScriptCandles implements CandleSeries {
  readonly #view: RevealedSeries;

  constructor(view: RevealedSeries) {
    this.#view = view;
  }

  get length(): number {
    return this.#view.length;
  }
  get time(): Float64Array {
    return this.#view.time;
  }
  get open(): Float64Array {
    return this.#view.open;
  }
  get high(): Float64Array {
    return this.#view.high;
  }
  get low(): Float64Array {
    return this.#view.low;
  }
  get close(): Float64Array {
    return this.#view.close;
  }
  get volume(): Float64Array {
    return this.#view.volume;
  }
}

/**
 * The engine's view of a script's instance: the validated parameters (never the script's own `params`, which the
 * engine would otherwise trust for position size and stops), checked decisions, the script's candles as a
 * RevealedSeries and its own copy of the position (the engine's is not the script's to change).
 */
export class SandboxedInstance implements StrategyInstance {
  readonly warmup: number;
  readonly accumulates: boolean;
  readonly fixedEntryQuote: number | null;
  private readonly context: { series: CandleSeries; index: number };
  private readonly position = { entryPrice: 0, entryTime: 0, quantity: 0 };

  constructor(
    private readonly inner: StrategyInstance,
    readonly params: StrategyInstance['params'],
    private readonly view: RevealedSeries,
  ) {
    if (inner === null || typeof inner !== 'object' || typeof inner.onBar !== 'function')
      throw new Error('create(params) must return an object with an onBar(ctx, position) method (extend BarStrategy)');
    const warmup = inner.warmup ?? 0;
    if (!(Number.isInteger(warmup) && warmup >= 0)) throw new Error(`warmup must be a whole number of bars ≥ 0, got ${String(warmup)}`);
    this.warmup = warmup;
    this.accumulates = inner.accumulates === true;
    const fixed = inner.fixedEntryQuote ?? null;
    if (fixed !== null && !(typeof fixed === 'number' && Number.isFinite(fixed) && fixed > 0))
      throw new Error(`fixedEntryQuote must be null or a positive number, got ${String(fixed)}`);
    this.fixedEntryQuote = fixed;
    this.context = { series: Object.freeze(new ScriptCandles(view)), index: 0 };
  }

  reset(): void {
    this.view.forget();
    if (typeof this.inner.reset === 'function') this.inner.reset();
  }

  onBar(ctx: BarContext, position: PositionView | null = null): Decision {
    const i = ctx.index;
    this.view.reveal(i, ctx.series);
    this.context.index = i;
    let mine: PositionView | null = null;
    if (position !== null) {
      this.position.entryPrice = position.entryPrice;
      this.position.entryTime = position.entryTime;
      this.position.quantity = position.quantity;
      mine = this.position;
    }
    const decision = this.inner.onBar(this.context, mine);
    if (decision === null || decision === undefined) return null;
    if (decision === 'enter' || decision === 'exit') return decision;
    const shown: unknown = decision;
    throw new Error(
      `onBar must return 'enter', 'exit' or null; on bar ${i} it returned ${typeof shown === 'string' ? JSON.stringify(shown.slice(0, 40)) : typeof shown}`,
    );
  }

  shouldOpenPosition(ctx: BarContext): boolean {
    return this.onBar(ctx, null) === 'enter';
  }

  shouldClosePosition(position: PositionView, ctx: BarContext): boolean {
    return this.onBar(ctx, position) === 'exit';
  }

  /**
   * Per bar: 1 when the script enters when flat, −1 when it exits when holding, 0 neither (the bias check's recursive
   * run). Both asked through onBar on the same bar, so the script sees nothing after it. Resets the instance.
   */
  generateSignals(series: CandleSeries): Int8Array {
    this.reset();
    const signals = new Int8Array(series.length);
    const holding = { entryPrice: 0, entryTime: 0, quantity: 1 };
    for (let i = 0; i < series.length; i++) {
      const ctx = { series, index: i };
      if (this.onBar(ctx, null) === 'enter') signals[i] = 1;
      else {
        holding.entryPrice = series.close[i]!;
        holding.entryTime = series.time[i]!;
        if (this.onBar(ctx, holding) === 'exit') signals[i] = -1;
      }
    }
    this.reset();
    return signals;
  }
}
