import { allocateSeries, type CandleSeries } from '../candles';
import { aggregateBars, BUCKET_DURATIONS } from './window';
import type { PlotSpec } from '../strategies/types';

/**
 * What a finished run keeps so that any chart window is a bounded read (issue #14: ≤ 100 ms for a 525,600-bar run at
 * any zoom; docs/backtesting.md "Chart windows"):
 *
 * - its bar layout as runs of consecutive bars (`segments`: usually one), so the bars inside [from, to) — how many,
 *   the first, the last, their index in the run — are known without reading them (the bucket rule needs them);
 * - its plot values per bar (`raw` chunks of CHUNK_BARS bars by bar index): a window at full resolution holds at
 *   most 5,000 bars, read from the candles table, and their plot values from one or two chunks;
 * - per stored width (`levels`: the bucket widths of at least MIN_LEVEL_RATIO bars), the run's candles aggregated
 *   into whole buckets with each plot's value at the bucket's last bar, in chunks of CHUNK_BARS candles by time.
 *   A zoomed-out window reads the chunks of the level its bucket width is a multiple of (the same width, except
 *   beyond four weeks).
 *
 *   Each level candle also says which trades enter and exit on it (LevelFills), and the trades are stored as columns
 *   (`trades` chunks of CHUNK_BARS trades by trade index), so a zoomed-out window reads only the trades it marks.
 *
 * Buckets narrower than MIN_LEVEL_RATIO bars are aggregated from the run's bars (≤ 5,000 × 5 bars read).
 * Columns are Float64 (plots NaN while warming up), chunk bytes are the columns one after another.
 */

export const CHUNK_BARS = 4_096;
/** Bucket widths of fewer bars than this are aggregated from the bars at request time. */
export const MIN_LEVEL_RATIO = 6;

/** [start time (ms UTC), bar count] of each run of consecutive bars. */
export type BarSegments = Array<[number, number]>;

export interface ChartStoreHeader {
  version: 1;
  timeframeMs: number;
  /** plot names, in the order of the plot columns */
  plots: string[];
  /**
   * The declarations of those plots when the web app cannot read them from the strategy (a script's, computed by the
   * worker's sandbox: they are the ones its version declared); a built-in's come from its definition.
   */
  plotSpecs?: PlotSpec[];
  /** the stored level widths (ms), ascending */
  levels: number[];
  segments: BarSegments;
}

export function barSegments(time: Float64Array, timeframeMs: number): BarSegments {
  const segments: BarSegments = [];
  for (let i = 0; i < time.length; i++) {
    const last = segments[segments.length - 1];
    if (last && time[i]! === last[0] + last[1] * timeframeMs) last[1]++;
    else segments.push([time[i]!, 1]);
  }
  return segments;
}

export interface BarsIn {
  /** bars with from ≤ time < to */
  count: number;
  /** index in the run of the first of them (or of where it would be) */
  firstIndex: number;
  firstTime: number;
  lastTime: number;
}

/** The bars of a run (by its segments) with fromMs ≤ time < toMs. */
export function barsIn(segments: BarSegments, timeframeMs: number, fromMs: number, toMs: number): BarsIn {
  let index = 0;
  let count = 0;
  let firstIndex = -1;
  let firstTime = Number.NaN;
  let lastTime = Number.NaN;
  for (const [start, n] of segments) {
    const end = start + n * timeframeMs;
    if (end <= fromMs) {
      index += n;
      continue;
    }
    if (start >= toMs) break;
    const a = fromMs <= start ? 0 : Math.ceil((fromMs - start) / timeframeMs);
    const b = toMs >= end ? n : Math.ceil((toMs - start) / timeframeMs);
    if (b > a) {
      if (firstIndex < 0) {
        firstIndex = index + a;
        firstTime = start + a * timeframeMs;
      }
      lastTime = start + (b - 1) * timeframeMs;
      count += b - a;
    }
    index += n;
  }
  return { count, firstIndex: firstIndex < 0 ? index : firstIndex, firstTime, lastTime };
}

/** The widths a run of this timeframe stores aggregates for. */
export function storedLevels(timeframeMs: number): number[] {
  return BUCKET_DURATIONS.filter((width) => width % timeframeMs === 0 && width / timeframeMs >= MIN_LEVEL_RATIO);
}

/** The stored level a window of this bucket width reads (the widest one the width is a multiple of), or null: bars. */
export function levelFor(bucketMs: number, levels: readonly number[]): number | null {
  let best: number | null = null;
  for (const level of levels) if (bucketMs % level === 0) best = level;
  return best;
}

/**
 * Which fills sit on each candle of a level: the first (lowest) trade index entering / exiting on it (NaN: none) and
 * how many. A zoomed-out window sends one marker per candle and side from these, reading only those trades.
 */
export interface LevelFills {
  firstBuy: Float64Array;
  buys: Float64Array;
  firstSell: Float64Array;
  sells: Float64Array;
}
export const LEVEL_FILL_COLUMNS = 4;

/** A level's candles with their plot values and fills, as columns. */
export interface LevelColumns {
  series: CandleSeries;
  plots: Float64Array[];
  fills: LevelFills;
}

/** A run's trades as columns, in trade order (times ms UTC, prices and P&L as the engine's floats). */
export interface TradeColumns {
  entryTime: Float64Array;
  exitTime: Float64Array;
  entryPrice: Float64Array;
  exitPrice: Float64Array;
  quantity: Float64Array;
  pnl: Float64Array;
  pnlPct: Float64Array;
}
export const TRADE_COLUMN_NAMES = ['entryTime', 'exitTime', 'entryPrice', 'exitPrice', 'quantity', 'pnl', 'pnlPct'] as const;

/** The run's bars aggregated into whole buckets of width, each plot read at its bucket's last bar, fills counted per bucket. */
export function buildLevel(
  series: CandleSeries,
  plots: readonly Float64Array[],
  width: number,
  trades: Pick<TradeColumns, 'entryTime' | 'exitTime'>,
): LevelColumns {
  const { candles, lastIndex } = aggregateBars(series, 0, series.length, width);
  const n = candles.time.length;
  const out = allocateSeries(n);
  out.time.set(candles.time);
  out.open.set(candles.open);
  out.high.set(candles.high);
  out.low.set(candles.low);
  out.close.set(candles.close);
  out.volume.set(candles.volume);
  const fills: LevelFills = {
    firstBuy: new Float64Array(n).fill(Number.NaN),
    buys: new Float64Array(n),
    firstSell: new Float64Array(n).fill(Number.NaN),
    sells: new Float64Array(n),
  };
  const count = (times: Float64Array, first: Float64Array, counts: Float64Array) => {
    let j = 0;
    for (let k = 0; k < times.length; k++) {
      const bucket = Math.floor(times[k]! / width) * width;
      while (j < n && out.time[j]! < bucket) j++;
      if (j < n && out.time[j] === bucket) {
        if (counts[j] === 0) first[j] = k;
        counts[j]!++;
      }
    }
  };
  count(trades.entryTime, fills.firstBuy, fills.buys);
  count(trades.exitTime, fills.firstSell, fills.sells);
  return { series: out, plots: plots.map((column) => Float64Array.from(lastIndex, (i) => column[i]!)), fills };
}

/** Columns [start, end) of each, one after another, as bytes. */
export function encodeColumns(columns: readonly Float64Array[], start: number, end: number): Buffer {
  const n = end - start;
  const out = new Float64Array(n * columns.length);
  columns.forEach((column, c) => out.set(column.subarray(start, end), c * n));
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

export function decodeColumns(bytes: Uint8Array, columnCount: number): Float64Array[] {
  const all = new Float64Array(bytes.byteLength / Float64Array.BYTES_PER_ELEMENT);
  new Uint8Array(all.buffer).set(bytes);
  const n = columnCount === 0 ? 0 : all.length / columnCount;
  return Array.from({ length: columnCount }, (_, c) => all.subarray(c * n, (c + 1) * n));
}

/** Chunk number of a level candle (by its time) or of a bar (by its index in the run). */
export function levelChunkOf(timeMs: number, width: number): number {
  return Math.floor(timeMs / (width * CHUNK_BARS));
}
export function barChunkOf(index: number): number {
  return Math.floor(index / CHUNK_BARS);
}
