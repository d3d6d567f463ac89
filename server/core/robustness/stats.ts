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

/** P5, P50 and P95 of the values (sorts a copy). */
export function percentileBand(values: Float64Array): PercentileBand {
  const sorted = values.slice().sort();
  return { p5: percentileSorted(sorted, 5), p50: percentileSorted(sorted, 50), p95: percentileSorted(sorted, 95) };
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
