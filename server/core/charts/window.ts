import { lowerBound, type CandleSeries } from '../candles';

/**
 * A chart window (issue #14, docs/backtesting.md "Chart windows"): the candles of [fromMs, toMs) of a series, the
 * indicator values on the same bars and the trade markers in it. When the window holds more than `maxBars`
 * candles they are aggregated into buckets of a whole number of bars:
 *
 *   slots  = (last bar time − first bar time) ÷ timeframe + 1      (bar slots the window spans, gaps included)
 *   needed = ceil(slots ÷ (maxBars − 1)) × timeframe                (the narrowest bucket that keeps ≤ maxBars)
 *   bucket = the first of BUCKET_DURATIONS that is ≥ needed and a whole multiple of the timeframe; beyond the
 *            widest of those (W), the smallest multiple of W that is ≥ needed (else `needed`)
 *
 * A bucket covers [m × bucket, (m + 1) × bucket) in ms since the epoch (UTC), so panning never moves a bucket's
 * edges. Its candle: time = bucket start, open = its first bar's open, high = max high, low = min low,
 * close = its last bar's close, volume = sum of volumes. Its indicator values are those of its last bar
 * (the value an indicator had when the bucket closed). A marker sits on the bucket of its bar.
 * Buckets spanning `slots` slots number at most ceil(slots ÷ (needed ÷ timeframe)) + 1 ≤ maxBars.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Bucket widths a zoomed-out chart uses: the usual chart timeframes, so buckets read as "4h candles". */
export const BUCKET_DURATIONS: readonly number[] = [
  MINUTE,
  3 * MINUTE,
  5 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  4 * HOUR,
  6 * HOUR,
  8 * HOUR,
  12 * HOUR,
  DAY,
  3 * DAY,
  7 * DAY,
  14 * DAY,
  28 * DAY,
];

export const MIN_WINDOW_BARS = 10;
export const MAX_WINDOW_BARS = 5_000;

/** Width of the window's buckets in ms: the timeframe itself when `count` bars fit in maxBars (see the rule above). */
export function bucketWidth(firstMs: number, lastMs: number, count: number, timeframeMs: number, maxBars: number): number {
  if (count <= maxBars) return timeframeMs;
  const slots = Math.round((lastMs - firstMs) / timeframeMs) + 1;
  const needed = Math.ceil(slots / (maxBars - 1)) * timeframeMs;
  let widest = 0;
  for (const duration of BUCKET_DURATIONS) {
    if (duration % timeframeMs !== 0) continue;
    if (duration >= needed) return duration;
    widest = duration;
  }
  // A multiple of a listed width, so the stored per-width aggregates (services/backtests/chart-store.ts) nest in it.
  return widest > 0 ? Math.ceil(needed / widest) * widest : needed;
}

export interface WindowCandles {
  /** open time of the candle (bucket start when aggregated), ms since epoch UTC */
  time: number[];
  open: number[];
  high: number[];
  low: number[];
  close: number[];
  volume: number[];
}

export interface WindowBars {
  candles: WindowCandles;
  /** ms per candle: the timeframe, or the bucket width when aggregated */
  bucketMs: number;
  /** index in the series of each candle's last bar (plots are read there) */
  lastIndex: number[];
}

/** The candles of series bars with fromMs ≤ time < toMs, aggregated by the rule above when more than maxBars. */
export function windowBars(series: CandleSeries, fromMs: number, toMs: number, timeframeMs: number, maxBars: number): WindowBars {
  const start = lowerBound(series.time, fromMs);
  const end = Math.max(start, lowerBound(series.time, toMs));
  if (end === start) return { candles: emptyCandles(), bucketMs: timeframeMs, lastIndex: [] };
  const bucketMs = bucketWidth(series.time[start]!, series.time[end - 1]!, end - start, timeframeMs, maxBars);
  return { ...(bucketMs === timeframeMs ? copyBars(series, start, end) : aggregateBars(series, start, end, bucketMs)), bucketMs };
}

/** Series bars [start, end) as window candles, one each. */
export function copyBars(series: CandleSeries, start: number, end: number): { candles: WindowCandles; lastIndex: number[] } {
  const slice = (column: Float64Array) => Array.from(column.subarray(start, end));
  return {
    candles: {
      time: slice(series.time),
      open: slice(series.open),
      high: slice(series.high),
      low: slice(series.low),
      close: slice(series.close),
      volume: slice(series.volume),
    },
    lastIndex: Array.from({ length: end - start }, (_, k) => start + k),
  };
}

export function emptyCandles(): WindowCandles {
  return { time: [], open: [], high: [], low: [], close: [], volume: [] };
}

/**
 * Series bars [start, end) (indexes) as candles of epoch-aligned buckets of bucketMs (the rule above). Works on any candle series — also one of already aggregated
 * candles, whose buckets nest in bucketMs (volumes are then summed per nested candle: equal to the bar-by-bar sum
 * up to floating-point rounding).
 */
export function aggregateBars(series: CandleSeries, start: number, end: number, bucketMs: number): { candles: WindowCandles; lastIndex: number[] } {
  const candles = emptyCandles();
  const lastIndex: number[] = [];
  const { time, open, high, low, close, volume } = series;
  let i = start;
  while (i < end) {
    const bucketStart = Math.floor(time[i]! / bucketMs) * bucketMs;
    const bucketEnd = bucketStart + bucketMs;
    const o = open[i]!;
    let h = high[i]!;
    let l = low[i]!;
    let v = 0;
    let last = i;
    for (; i < end && time[i]! < bucketEnd; i++) {
      if (high[i]! > h) h = high[i]!;
      if (low[i]! < l) l = low[i]!;
      v += volume[i]!;
      last = i;
    }
    candles.time.push(bucketStart);
    candles.open.push(o);
    candles.high.push(h);
    candles.low.push(l);
    candles.close.push(close[last]!);
    candles.volume.push(v);
    lastIndex.push(last);
  }
  return { candles, lastIndex };
}

/** Each plot's value at each window candle's last bar; null where the indicator is undefined (NaN: warming up). */
export function windowPlots(values: Readonly<Record<string, Float64Array>>, lastIndex: readonly number[]): Record<string, (number | null)[]> {
  const out: Record<string, (number | null)[]> = {};
  for (const [name, column] of Object.entries(values)) {
    out[name] = lastIndex.map((i) => {
      const value = column[i]!;
      return Number.isFinite(value) ? value : null;
    });
  }
  return out;
}

/** The open time of the window candle a time falls in (bucket start when aggregated). */
export function candleTimeOf(timeMs: number, bucketMs: number, timeframeMs: number): number {
  return bucketMs === timeframeMs ? timeMs : Math.floor(timeMs / bucketMs) * bucketMs;
}
