import type { CandleSeries } from '../candles';
import type { IndicatorColumns } from '../indicators/columns';
import type { BarContext, CommonParams, Decision, PositionView, StrategyInstance } from './types';

/**
 * Base class for strategies written as streaming state machines: `next` feeds one closed bar to the
 * strategy's indicators (O(1)), `entrySignal`/`exitSignal` read the state after that bar.
 * The same code runs in backtests (every bar of a series, in order) and live (one new candle at a time,
 * possibly over a rolling window: if the previous bar of the window is the last bar seen, only the new bar is
 * fed; otherwise the state is rebuilt from the window's first bar).
 */
export abstract class BarStrategy<P extends CommonParams = CommonParams> implements StrategyInstance {
  abstract readonly warmup: number;
  readonly accumulates: boolean = false;
  readonly fixedEntryQuote: number | null = null;
  /** open time of the last bar fed to `next`; NaN when fresh */
  private lastTime = Number.NaN;
  /** the series whose indicator columns `next` reads (useColumns); null: streaming indicators */
  private columnSeries: CandleSeries | null = null;

  constructor(readonly params: Readonly<P>) {}

  /** Feed bar i (bars 0..i−1 were fed before, in order). Read only series[..i]. */
  protected abstract next(series: CandleSeries, i: number): void;
  /** The entry condition after bar i was fed. */
  protected abstract entrySignal(series: CandleSeries, i: number): boolean;
  /** The exit condition after bar i was fed; position is null when called from generateSignals. */
  protected abstract exitSignal(series: CandleSeries, i: number, position: PositionView | null): boolean;
  /** Return every indicator and field to its freshly constructed state. */
  protected abstract resetState(): void;
  /**
   * Optional: take indicator columns over `series` from `columns` for `next` to read by bar index (see
   * StrategyInstance.useColumns); return false to keep streaming. Only called on a fresh (reset) instance.
   */
  protected bindColumns(_series: CandleSeries, _columns: IndicatorColumns): boolean {
    return false;
  }
  /** Forget the columns bindColumns took: `next` streams again. */
  protected unbindColumns(): void {}

  reset(): void {
    this.lastTime = Number.NaN;
    this.dropColumns();
    this.resetState();
  }

  useColumns(series: CandleSeries, columns: IndicatorColumns): void {
    this.reset();
    if (this.bindColumns(series, columns)) this.columnSeries = series;
  }

  private dropColumns(): void {
    if (this.columnSeries === null) return;
    this.columnSeries = null;
    this.unbindColumns();
  }

  private advance(series: CandleSeries, i: number): void {
    const time = series.time[i]!;
    if (time === this.lastTime) return;
    // Columns are valid only while bars 0, 1, … of their own series come in order.
    const continues =
      (i > 0 ? series.time[i - 1] === this.lastTime : Number.isNaN(this.lastTime)) && (this.columnSeries === null || this.columnSeries === series);
    if (continues) {
      this.next(series, i);
    } else {
      this.dropColumns();
      this.resetState();
      for (let k = 0; k <= i; k++) this.next(series, k);
    }
    this.lastTime = time;
  }

  onBar(ctx: BarContext, position: PositionView | null = null): Decision {
    const series = ctx.series;
    const i = ctx.index;
    this.advance(series, i);
    if (position === null) return this.entrySignal(series, i) ? 'enter' : null;
    if (this.exitSignal(series, i, position)) return 'exit';
    return this.accumulates && this.entrySignal(series, i) ? 'enter' : null;
  }

  shouldOpenPosition(ctx: BarContext): boolean {
    this.advance(ctx.series, ctx.index);
    return this.entrySignal(ctx.series, ctx.index);
  }

  shouldClosePosition(position: PositionView, ctx: BarContext): boolean {
    this.advance(ctx.series, ctx.index);
    return this.exitSignal(ctx.series, ctx.index, position);
  }

  generateSignals(series: CandleSeries): Int8Array {
    this.reset();
    const signals = new Int8Array(series.length);
    for (let i = 0; i < series.length; i++) {
      this.advance(series, i);
      signals[i] = this.entrySignal(series, i) ? 1 : this.exitSignal(series, i, null) ? -1 : 0;
    }
    this.reset();
    return signals;
  }
}
