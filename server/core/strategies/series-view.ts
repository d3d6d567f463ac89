import type { CandleSeries } from '../candles';
import type { RevealedSeries } from '../scripts/instance';
import { newColumn, wordsOf } from '../intrinsics';

const FIELDS = ['time', 'open', 'high', 'low', 'close', 'volume'] as const;

/**
 * The candles a strategy sees when it must not see the future (a user script, runtime.ts; the look-ahead check's
 * guarded run, robustness/bias.ts): its own columns, filled bar by bar as the engine reaches them (NaN after the current
 * bar), `length` = bars up to and including the current one. A column is made on the script's first read of it
 * (most strategies read `time` and `close` only): a column never read costs neither memory nor a copy per bar,
 * and cannot have been changed.
 */
export class SeriesView implements RevealedSeries {
  length = 0;
  /** no bar shown since the columns were last filled with NaN (a script may have written into them) */
  private fresh = true;
  private timeColumn: Float64Array | null = null;
  private openColumn: Float64Array | null = null;
  private highColumn: Float64Array | null = null;
  private lowColumn: Float64Array | null = null;
  private closeColumn: Float64Array | null = null;
  private volumeColumn: Float64Array | null = null;

  constructor(private readonly source: CandleSeries) {}

  get time(): Float64Array {
    return (this.timeColumn ??= this.column('time'));
  }
  get open(): Float64Array {
    return (this.openColumn ??= this.column('open'));
  }
  get high(): Float64Array {
    return (this.highColumn ??= this.column('high'));
  }
  get low(): Float64Array {
    return (this.lowColumn ??= this.column('low'));
  }
  get close(): Float64Array {
    return (this.closeColumn ??= this.column('close'));
  }
  get volume(): Float64Array {
    return (this.volumeColumn ??= this.column('volume'));
  }

  /**
   * A new column: the bars shown so far, NaN after them. Copied bar by bar: the source column (every bar, the ones
   * after the current one too) is never handed to a method a script could have patched (a script's view, runtime.ts).
   */
  private column(field: (typeof FIELDS)[number]): Float64Array {
    const column = newColumn(this.source.length);
    copyBars(column, this.source[field], 0, this.length - 1);
    column.fill(Number.NaN, this.length);
    return column;
  }

  /** Shows bars up to and including i (in the columns made so far; a column made later copies them then). */
  reveal(i: number): void {
    this.fresh = false;
    const from = this.length;
    if (i < from) return;
    const s = this.source;
    if (this.timeColumn !== null) copyBars(this.timeColumn, s.time, from, i);
    if (this.closeColumn !== null) copyBars(this.closeColumn, s.close, from, i);
    if (this.openColumn !== null) copyBars(this.openColumn, s.open, from, i);
    if (this.highColumn !== null) copyBars(this.highColumn, s.high, from, i);
    if (this.lowColumn !== null) copyBars(this.lowColumn, s.low, from, i);
    if (this.volumeColumn !== null) copyBars(this.volumeColumn, s.volume, from, i);
    this.length = i + 1;
  }

  /** The first bar and field the script changed, or null (compared bit for bit). */
  firstChange(): string | null {
    for (const field of FIELDS) {
      const mine = this.made(field);
      if (mine === null) continue;
      const at = firstDifference(mine, this.source[field], this.length);
      if (at >= 0) return `${field}[${at}]`;
    }
    return null;
  }

  /** Hides every bar again (NaN); nothing to do when none was shown. */
  forget(): void {
    if (this.length === 0 && this.fresh) return;
    for (const field of FIELDS) this.made(field)?.fill(Number.NaN);
    this.length = 0;
    this.fresh = true;
  }

  private made(field: (typeof FIELDS)[number]): Float64Array | null {
    switch (field) {
      case 'time':
        return this.timeColumn;
      case 'open':
        return this.openColumn;
      case 'high':
        return this.highColumn;
      case 'low':
        return this.lowColumn;
      case 'close':
        return this.closeColumn;
      case 'volume':
        return this.volumeColumn;
    }
  }
}

/**
 * The first of bars 0..n−1 whose doubles differ bit for bit, or −1. Two equal doubles other than ±0 have the same
 * bits, so only a pair that compares unequal (NaNs included) or equal to zero is compared by its bits: one
 * comparison per bar (a run's check over 1M bars runs before the isolate's JIT has warmed up, so each one counts).
 */
function firstDifference(mine: Float64Array, theirs: Float64Array, n: number): number {
  // Through intrinsics (core/intrinsics.ts): `theirs` holds every bar, and a script runs in this realm.
  const mineBits = wordsOf(mine, n);
  const theirBits = wordsOf(theirs, n);
  for (let k = 0; k < n; k++) {
    const x = mine[k]!;
    if ((x !== theirs[k] || x === 0) && (mineBits[2 * k] !== theirBits[2 * k] || mineBits[2 * k + 1] !== theirBits[2 * k + 1])) return k;
  }
  return -1;
}

function copyBars(to: Float64Array, from: Float64Array, first: number, last: number): void {
  for (let k = first; k <= last; k++) to[k] = from[k]!;
}
