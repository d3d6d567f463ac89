/**
 * The price chart's bar scale (lightweight-charts' "logical" range: 0 is the first candle held, n − 1 the last,
 * fractions between, and beyond either end into the empty space the user can zoom or pan out to) against time in
 * ms. Beyond the candles held, a logical step is one bucket: the chart can say which times the user looks at even
 * where it holds no candles yet — which is what tells it to load a wider, coarser window when zooming out.
 */

export interface TimeRange {
  from: number;
  to: number;
}

/** The ms at logical position `logical` over candle times `times` (ascending) of width `bucketMs`. */
export function timeOfLogical(times: readonly number[], bucketMs: number, logical: number): number {
  const n = times.length;
  if (n === 0) return Number.NaN;
  if (logical <= 0) return times[0]! + logical * bucketMs;
  if (logical >= n - 1) return times[n - 1]! + (logical - (n - 1)) * bucketMs;
  const i = Math.floor(logical);
  return times[i]! + (logical - i) * (times[i + 1]! - times[i]!);
}

/** The logical position of `ms` (the inverse of timeOfLogical; within a gap between candles, proportionally). */
export function logicalOfTime(times: readonly number[], bucketMs: number, ms: number): number {
  const n = times.length;
  if (n === 0) return Number.NaN;
  if (ms <= times[0]!) return (ms - times[0]!) / bucketMs;
  if (ms >= times[n - 1]!) return n - 1 + (ms - times[n - 1]!) / bucketMs;
  let lo = 0;
  let hi = n - 1; // times[lo] <= ms < times[hi]
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (times[mid]! <= ms) lo = mid;
    else hi = mid;
  }
  return lo + (ms - times[lo]!) / (times[hi]! - times[lo]!);
}

export function rangeOfLogical(times: readonly number[], bucketMs: number, range: TimeRange): TimeRange {
  return { from: timeOfLogical(times, bucketMs, range.from), to: timeOfLogical(times, bucketMs, range.to) };
}

export function logicalOfRange(times: readonly number[], bucketMs: number, range: TimeRange): TimeRange {
  return { from: logicalOfTime(times, bucketMs, range.from), to: logicalOfTime(times, bucketMs, range.to) };
}

/**
 * The markers worth drawing at a zoom where a bar is `pxPerBar` wide: at most one per side in every `minPx` of
 * width (the first one: the lowest trade number), so a zoomed-out year draws a few hundred markers rather than
 * thousands on top of each other (lightweight-charts' markers cost per marker on every frame). All of the window's
 * markers stay in the readout.
 */
export function thinMarkers<M extends { time: number; side: string }>(
  markers: readonly M[],
  times: readonly number[],
  bucketMs: number,
  pxPerBar: number,
  minPx = 6,
): M[] {
  const every = Math.max(1, Math.ceil(minPx / Math.max(pxPerBar, 1e-6)));
  if (every === 1) return [...markers];
  const taken = new Set<string>();
  return markers.filter((m) => {
    const slot = `${m.side}:${Math.floor(Math.round(logicalOfTime(times, bucketMs, m.time)) / every)}`;
    if (taken.has(slot)) return false;
    taken.add(slot);
    return true;
  });
}
