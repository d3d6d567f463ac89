/**
 * Columnar candles: one Float64Array per field, no object per candle on hot paths.
 * `time` is the candle's open time in ms since epoch, UTC. Only closed candles are ever stored.
 */
export interface CandleSeries {
  readonly length: number;
  readonly time: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
}

/** ccxt's OHLCV row: [timeMs, open, high, low, close, volume]. */
export type OhlcvRow = [number, number, number, number, number, number];

export function allocateSeries(length: number): CandleSeries {
  return {
    length,
    time: new Float64Array(length),
    open: new Float64Array(length),
    high: new Float64Array(length),
    low: new Float64Array(length),
    close: new Float64Array(length),
    volume: new Float64Array(length),
  };
}

/**
 * A series whose six columns live in one buffer (SharedArrayBuffer when `shared`), so it can be
 * handed to worker threads without copying. Column k occupies [k*length, (k+1)*length).
 */
export function allocateSharedSeries(length: number, shared = true): { series: CandleSeries; buffer: ArrayBufferLike } {
  const bytes = length * 6 * Float64Array.BYTES_PER_ELEMENT;
  const buffer = shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
  return { series: seriesFromBuffer(buffer, length), buffer };
}

export function seriesFromBuffer(buffer: ArrayBufferLike, length: number): CandleSeries {
  const column = (k: number) => new Float64Array(buffer, k * length * 8, length);
  return { length, time: column(0), open: column(1), high: column(2), low: column(3), close: column(4), volume: column(5) };
}

export function seriesFromRows(rows: ReadonlyArray<ArrayLike<number>>): CandleSeries {
  const series = allocateSeries(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    series.time[i] = row[0]!;
    series.open[i] = row[1]!;
    series.high[i] = row[2]!;
    series.low[i] = row[3]!;
    series.close[i] = row[4]!;
    series.volume[i] = row[5]!;
  }
  return series;
}

/** First index whose time is >= timeMs (series ascending by time). */
export function lowerBound(times: Float64Array, timeMs: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! < timeMs) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The candles with start <= time < end, as views over the same memory (no copy). */
export function sliceByTime(series: CandleSeries, startMs: number, endMs: number): CandleSeries {
  const from = lowerBound(series.time, startMs);
  const to = Math.max(from, lowerBound(series.time, endMs));
  return {
    length: to - from,
    time: series.time.subarray(from, to),
    open: series.open.subarray(from, to),
    high: series.high.subarray(from, to),
    low: series.low.subarray(from, to),
    close: series.close.subarray(from, to),
    volume: series.volume.subarray(from, to),
  };
}
