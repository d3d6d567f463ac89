/**
 * Summaries of repeated measurements. Every figure the bench reports is the median of several runs taken
 * after a warm-up, shown with the min and max of those runs so the spread is visible.
 */

export interface Summary {
  /** median of the runs (the mean of the two middle values for an even count) */
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** number of runs summarised */
  readonly runs: number;
}

function sortedCopy(values: ArrayLike<number>): number[] {
  const sorted = Array.from(values);
  if (sorted.length === 0) throw new RangeError('no values to summarise');
  for (const v of sorted) if (!Number.isFinite(v)) throw new RangeError(`not a finite number: ${v}`);
  return sorted.sort((a, b) => a - b);
}

export function median(values: ArrayLike<number>): number {
  const sorted = sortedCopy(values);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The p-th percentile (0 ≤ p ≤ 100) of values, nearest-rank on the sorted values: the smallest value with at
 * least p% of the values at or below it (p = 0 gives the minimum, p = 100 the maximum). Latency percentiles use
 * this, as load tools usually do: p99 is a latency a request actually had, never an interpolation.
 */
export function percentile(values: ArrayLike<number>, p: number): number {
  return percentileOfSorted(sortedCopy(values), p);
}

/** percentile() on values already sorted ascending (no copy; for large latency arrays). */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be in [0, 100], got ${p}`);
  if (sorted.length === 0) throw new RangeError('no values');
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

export function summarize(values: ArrayLike<number>): Summary {
  const sorted = sortedCopy(values);
  return { median: median(sorted), min: sorted[0]!, max: sorted[sorted.length - 1]!, runs: sorted.length };
}

/** Rounds to `digits` significant digits, for JSON that a person reads. */
export function roundTo(value: number, digits = 4): number {
  if (value === 0 || !Number.isFinite(value)) return value;
  return Number(value.toPrecision(digits));
}

export function roundSummary(summary: Summary, digits = 4): Summary {
  return { median: roundTo(summary.median, digits), min: roundTo(summary.min, digits), max: roundTo(summary.max, digits), runs: summary.runs };
}
