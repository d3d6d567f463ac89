/**
 * A script deciding for a deployment (paper or live), inside its isolate: one instance kept warm between closed
 * candles, like a built-in's in the worker (server/services/deployments/runtime.ts). Lives inside the sandbox.
 *
 * The host hands over the candles as they close: `bar(candles, from, index, position)` carries bars from..index
 * (usually one), replacing whatever the isolate held from `from` on; the decision is on bar `index`, which is then
 * the last bar the isolate holds. So a deployment's script cannot look ahead, by construction: the bars after the
 * one it decides on have not been sent (its columns hold NaN past its `length`). Bars replaced (the host rebuilt
 * its buffer) reset the instance, which then rebuilds its state from the bars it holds, as a built-in does.
 */
import type { CandleSeries } from '../candles';
import type { Decision, StrategyInstance } from '../strategies/types';
import { SandboxedInstance, type RevealedSeries } from './instance';

/** What the host needs to know of the instance (the machine reads them: sizing and DCA). */
export interface LiveShape {
  warmup: number;
  accumulates: boolean;
  fixedEntryQuote: number | null;
}

const FIELDS = ['time', 'open', 'high', 'low', 'close', 'volume'] as const;

function nanColumn(n: number): Float64Array {
  return new Float64Array(n).fill(Number.NaN);
}

/** The deployment's candles in the isolate: a growable columnar series, NaN past the bars held. */
export class GrowingSeries implements RevealedSeries {
  length = 0;
  /** bars held (0..count−1) */
  count = 0;
  time = nanColumn(256);
  open = nanColumn(256);
  high = nanColumn(256);
  low = nanColumn(256);
  close = nanColumn(256);
  volume = nanColumn(256);

  /** Replaces the bars from `from` on by `columns` (each of the same length); returns whether bars were dropped. */
  put(columns: readonly Float64Array[], from: number): boolean {
    const dropped = this.hold(from, from + columns[0]!.length);
    FIELDS.forEach((field, k) => this[field].set(columns[k]!, from));
    return dropped;
  }

  /**
   * Replaces the bars from..to−1 by those of `source`, copied bar by bar: `source` may hold every bar, the ones after
   * `to` too (the bias check's, bias.ts), so its columns never reach a method, an accessor or an iterator a script
   * could have patched — only their indexed values are read. Returns whether bars were dropped.
   */
  protected copy(source: CandleSeries, from: number, to: number): boolean {
    const dropped = this.hold(from, to);
    const { time, open, high, low, close, volume } = source;
    for (let k = from; k < to; k++) {
      this.time[k] = time[k]!;
      this.open[k] = open[k]!;
      this.high[k] = high[k]!;
      this.low[k] = low[k]!;
      this.close[k] = close[k]!;
      this.volume[k] = volume[k]!;
    }
    return dropped;
  }

  /** Drops the bars held from `from` on (NaN) and makes room for bars up to to−1, which are then held. */
  private hold(from: number, to: number): boolean {
    if (!(Number.isInteger(from) && from >= 0 && from <= this.count && to >= from))
      throw new Error(`bars must continue the series (from ${from}, held ${this.count})`);
    const dropped = from < this.count;
    if (dropped) for (const field of FIELDS) this[field].fill(Number.NaN, from, this.count);
    if (to > this.time.length) {
      let capacity = this.time.length;
      while (capacity < to) capacity *= 2;
      for (const field of FIELDS) {
        const bigger = nanColumn(capacity);
        bigger.set(this[field].subarray(0, from));
        this[field] = bigger;
      }
    }
    this.count = to;
    this.length = Math.min(this.length, to);
    return dropped;
  }

  reveal(i: number, _source?: CandleSeries): void {
    if (!(i >= 0 && i < this.count)) throw new Error(`bar ${i} was not handed over`);
    this.length = i + 1;
  }

  forget(): void {
    this.length = 0;
  }
}

export class LiveRun {
  private readonly series = new GrowingSeries();
  private readonly instance: SandboxedInstance;

  constructor(inner: StrategyInstance, params: StrategyInstance['params']) {
    this.instance = new SandboxedInstance(inner, params, this.series);
  }

  shape(): LiveShape {
    return { warmup: this.instance.warmup, accumulates: this.instance.accumulates, fixedEntryQuote: this.instance.fixedEntryQuote };
  }

  /** The decision on the close of bar `index`, the last of the bars handed over (`position`: [entryPrice, entryTime, quantity] or null). */
  bar(columns: readonly Float64Array[], from: number, index: number, position: readonly number[] | null): Decision {
    if (this.series.put(columns, from)) this.instance.reset();
    if (index !== this.series.count - 1) throw new Error(`the decision is on the last bar handed over (${this.series.count - 1}), not ${index}`);
    const held = position === null ? null : { entryPrice: Number(position[0]), entryTime: Number(position[1]), quantity: Number(position[2]) };
    return this.instance.onBar({ series: this.series, index }, held);
  }
}
