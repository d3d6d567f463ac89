/** Statistics shared by the robustness lab's tools (docs/robustness.md, "Percentiles, bands, distributions, ruin"). */

/**
 * The p-th percentile (0 ≤ p ≤ 100) of values sorted ascending: linear interpolation between closest ranks,
 * h = (m − 1) × p/100, x[⌊h⌋] + (h − ⌊h⌋) × (x[⌊h⌋ + 1] − x[⌊h⌋]) (numpy's default). NaN for no values.
 */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  const m = sorted.length;
  if (m === 0) return Number.NaN;
  const h = ((m - 1) * p) / 100;
  const lower = Math.floor(h);
  const upper = Math.min(m - 1, lower + 1);
  const a = sorted[lower]!;
  return a + (h - lower) * (sorted[upper]! - a);
}

export interface PercentileBand {
  p5: number;
  p50: number;
  p95: number;
}

/**
 * Puts the k-th smallest of a[lo..hi] at index k, smaller-or-equal values before it and greater-or-equal after it
 * (Hoare's quickselect, median-of-three pivot); a[0..lo−1] must already be ≤ everything in a[lo..].
 */
function selectInPlace(a: Float64Array, k: number, lo: number, hi: number): void {
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // Median of three as the pivot value.
    const x = a[lo]!;
    const y = a[mid]!;
    const z = a[hi]!;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

/** The p-th percentiles (as percentileSorted defines them) of `values`, reordering `values` in place: O(m) each. */
export function percentilesInPlace(values: Float64Array, ps: readonly number[]): number[] {
  const m = values.length;
  if (m === 0) return ps.map(() => Number.NaN);
  // Every rank the interpolations read, ascending; each selection narrows the next one's range.
  const ranks = new Set<number>();
  for (const p of ps) {
    const h = ((m - 1) * p) / 100;
    ranks.add(Math.floor(h));
    ranks.add(Math.min(m - 1, Math.floor(h) + 1));
  }
  const order = [...ranks].sort((a, b) => a - b);
  const at = new Map<number, number>();
  let lo = 0;
  for (const rank of order) {
    selectInPlace(values, rank, lo, m - 1);
    at.set(rank, values[rank]!);
    lo = rank + 1;
  }
  return ps.map((p) => {
    const h = ((m - 1) * p) / 100;
    const lower = Math.floor(h);
    const a = at.get(lower)!;
    return a + (h - lower) * (at.get(Math.min(m - 1, lower + 1))! - a);
  });
}

/** P5, P50 and P95 of the values (selects in a copy; the values are left as they are). */
export function percentileBand(values: Float64Array, scratch: Float64Array = new Float64Array(values.length)): PercentileBand {
  const work = scratch.length === values.length ? scratch : scratch.subarray(0, values.length);
  work.set(values);
  const [p5, p50, p95] = percentilesInPlace(work, [5, 50, 95]);
  return { p5: p5!, p50: p50!, p95: p95! };
}

export interface HistogramBin {
  from: number;
  to: number;
  count: number;
}

export const HISTOGRAM_BINS = 20;

/**
 * `bins` equal-width bins from the smallest to the largest value; a value on an inner edge goes to the bin above it,
 * the largest value to the last bin. All-equal values give one bin holding them all; no values, no bins.
 */
export function histogram(values: ArrayLike<number>, bins = HISTOGRAM_BINS): HistogramBin[] {
  const m = values.length;
  if (m === 0) return [];
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < m; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min === max) return [{ from: min, to: max, count: m }];
  const width = (max - min) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < m; i++) {
    const k = Math.min(bins - 1, Math.floor((values[i]! - min) / width));
    counts[k]!++;
  }
  return counts.map((count, k) => ({ from: min + k * width, to: k === bins - 1 ? max : min + (k + 1) * width, count }));
}

/** At most `maxPoints` evenly spaced indexes of an axis of `length` values: round(j × (length − 1) ÷ (P − 1)). */
export function samplePoints(length: number, maxPoints = 200): Int32Array {
  const count = Math.min(maxPoints, length);
  const points = new Int32Array(count);
  if (count === 1) return points;
  for (let j = 0; j < count; j++) points[j] = Math.round((j * (length - 1)) / (count - 1));
  return points;
}

/** Largest (peak − value) ÷ peak × 100 over a path, the peak being the running maximum from its first value. */
export function maxDrawdownPct(path: ArrayLike<number>): number {
  let peak = path.length > 0 ? path[0]! : 0;
  let worst = 0;
  for (let k = 0; k < path.length; k++) {
    const v = path[k]!;
    if (v > peak) peak = v;
    else if (peak > 0) {
      const drawdown = (peak - v) / peak;
      if (drawdown > worst) worst = drawdown;
    }
  }
  return worst * 100;
}
