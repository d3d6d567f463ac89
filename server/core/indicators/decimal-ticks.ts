/**
 * Exact sums of decimal prices (docs/backtesting.md, "Exact decisions"). A price is a decimal with a few
 * places (a double is the nearest to it); scaled by 10^d it is a whole number of ticks, and sums of whole
 * numbers below 2^53 are exact in doubles, so a running sum over ticks never drifts and two averages that are
 * equal in decimal arithmetic compare equal.
 *
 * The scale is derived from the prices themselves, bar by bar, by one rule that every user (the streaming
 * TickSums, the column function tickSums, the bench kernel) applies identically:
 *   - it starts at 1 (10^0);
 *   - a price that is not a whole number of ticks at the current scale makes it finer: the smallest 10^d
 *     (d ≤ MAX_DECIMALS) at which the price is whole, but never finer than the cap;
 *   - the cap is the finest 10^d with (largest |price| seen) × 10^d × MAX_TICK_PERIOD ≤ 2^52, so any sum of up
 *     to MAX_TICK_PERIOD tick counts stays far below 2^53; a new largest price can lower the cap, and the scale
 *     with it.
 * Whenever the scale changes, the sums are recomputed from the prices of their windows. A price that is not
 * whole at the cap (more decimals than fit) is rounded to the nearest tick; real market prices never are.
 */

/** The most decimal places a scale has. */
export const MAX_DECIMALS = 12;
/** The longest window a tick sum may span (sma_crossover's slowPeriod maximum). */
export const MAX_TICK_PERIOD = 5000;
const SUM_LIMIT = 2 ** 52;
const SCALES = Array.from({ length: MAX_DECIMALS + 1 }, (_, d) => 10 ** d);

/** The finest scale at which prices up to `maxAbs` keep sums of MAX_TICK_PERIOD ticks below 2^52. */
export function scaleCap(maxAbs: number): number {
  let cap = 1;
  for (const scale of SCALES) {
    if (maxAbs * scale * MAX_TICK_PERIOD > SUM_LIMIT) break;
    cap = scale;
  }
  return cap;
}

/** Whether `price` is a whole number of ticks at `scale`: the decimal round(price × scale) ÷ scale is the price. */
export function isWholeAt(price: number, scale: number): boolean {
  return Math.round(price * scale) / scale === price;
}

/** The coarsest scale from `scale` up to `cap` at which `price` is whole; `cap` when none is. */
export function finerScale(price: number, scale: number, cap: number): number {
  let finer = scale;
  while (finer < cap && !isWholeAt(price, finer)) finer *= 10;
  return finer > cap ? cap : finer;
}

/**
 * The exact sign of sumA ÷ periodA − sumB ÷ periodB, for whole sums |sum| ≤ 2^52 and whole periods 1..MAX_TICK_PERIOD:
 * 1, 0 or −1 (NaN when a sum is NaN). The quotients in doubles are correctly rounded, and rounding is monotonic,
 * so when they differ their order is the exact order; when they are equal, the whole parts and remainders decide.
 */
export function compareMeans(sumA: number, periodA: number, sumB: number, periodB: number): number {
  const a = sumA / periodA;
  const b = sumB / periodB;
  if (a > b) return 1;
  if (a < b) return -1;
  if (a !== b) return Number.NaN;
  // a/periodA = qa + ra/periodA with 0 ≤ ra < periodA (every product below is a whole number under 2^53: exact)
  let qa = Math.floor(a);
  let ra = sumA - qa * periodA;
  if (ra < 0) {
    qa -= 1;
    ra += periodA;
  } else if (ra >= periodA) {
    qa += 1;
    ra -= periodA;
  }
  let qb = Math.floor(b);
  let rb = sumB - qb * periodB;
  if (rb < 0) {
    qb -= 1;
    rb += periodB;
  } else if (rb >= periodB) {
    qb += 1;
    rb -= periodB;
  }
  if (qa !== qb) return qa > qb ? 1 : -1;
  const left = ra * periodB;
  const right = rb * periodA;
  return left > right ? 1 : left < right ? -1 : 0;
}

/**
 * Rolling sums of the last `period` prices, one per period, in ticks of one common scale (the rule above):
 * `push(price)` adds the next price; `sum(k)` is the k-th period's sum in ticks (NaN until it has `period` prices
 * or while a non-finite price is in its window). O(1) per push, O(longest period) when the scale changes.
 */
export class TickSums {
  readonly periods: readonly number[];
  private readonly longest: number;
  /** the last `longest` prices, a ring */
  private readonly window: Float64Array;
  private readonly sums: Float64Array;
  /** non-finite prices in each period's window */
  private readonly invalid: Int32Array;
  private position = 0;
  private count = 0;
  private scale = 1;
  /** largest |price| seen, and the scale cap it gives */
  private maxAbs = 0;
  private cap = 1;

  constructor(periods: readonly number[]) {
    for (const period of periods) {
      if (!Number.isInteger(period) || period < 1 || period > MAX_TICK_PERIOD)
        throw new RangeError(`period must be an integer in 1..${MAX_TICK_PERIOD}, got ${period}`);
    }
    this.periods = [...periods];
    this.longest = Math.max(...periods);
    this.window = new Float64Array(this.longest);
    this.sums = new Float64Array(periods.length);
    this.invalid = new Int32Array(periods.length);
  }

  push(price: number): void {
    const { periods, window, sums, invalid, longest } = this;
    const finite = Number.isFinite(price);
    if (finite) {
      let scale = this.scale;
      const abs = Math.abs(price);
      if (abs > this.maxAbs) {
        this.maxAbs = abs;
        this.cap = scaleCap(abs);
        if (scale > this.cap) scale = this.cap;
      }
      if (scale < this.cap && !isWholeAt(price, scale)) scale = finerScale(price, scale, this.cap);
      if (scale !== this.scale) {
        this.scale = scale;
        this.resum();
      }
    }
    const scale = this.scale;
    for (let k = 0; k < periods.length; k++) {
      const period = periods[k]!;
      if (this.count >= period) {
        const leaving = window[(this.position - period + longest) % longest]!;
        if (Number.isFinite(leaving)) sums[k]! -= Math.round(leaving * scale);
        else invalid[k]!--;
      }
      if (finite) sums[k]! += Math.round(price * scale);
      else invalid[k]!++;
    }
    window[this.position] = price;
    this.position = this.position + 1 === longest ? 0 : this.position + 1;
    if (this.count < longest) this.count++;
  }

  /** The k-th period's sum of its last `period` prices, in ticks; NaN while undefined. */
  sum(k: number): number {
    return this.count >= this.periods[k]! && this.invalid[k] === 0 ? this.sums[k]! : Number.NaN;
  }

  /** Ticks per unit of price now (a power of ten). */
  get ticksPerUnit(): number {
    return this.scale;
  }

  reset(): void {
    this.window.fill(0);
    this.sums.fill(0);
    this.invalid.fill(0);
    this.position = 0;
    this.count = 0;
    this.scale = 1;
    this.maxAbs = 0;
    this.cap = 1;
  }

  /** Every sum recomputed at the current scale from the prices in its window. */
  private resum(): void {
    const { periods, window, longest, scale } = this;
    for (let k = 0; k < periods.length; k++) {
      const span = Math.min(periods[k]!, this.count);
      let sum = 0;
      for (let j = 1; j <= span; j++) {
        const price = window[(this.position - j + longest) % longest]!;
        if (Number.isFinite(price)) sum += Math.round(price * scale);
      }
      this.sums[k] = sum;
    }
  }
}

/**
 * For every index i: the sum in ticks of values[i − period + 1 .. i] at the scale the rule gives after values[0..i]
 * (NaN while fewer than `period` values, or a non-finite one, are in the window). Bit for bit what a TickSums fed
 * values[0], values[1], … gives. The scale does not depend on the period, so the sums of several periods over the
 * same values are in the same ticks at every index and compare with compareMeans. Written into `out` when given
 * (every index; its length must be the values').
 */
export function tickSums(values: Float64Array, period: number, out: Float64Array = new Float64Array(values.length)): Float64Array {
  const sums = new TickSums([period]);
  const n = values.length;
  if (out.length !== n) throw new RangeError(`out has ${out.length} values for ${n}`);
  for (let i = 0; i < n; i++) {
    sums.push(values[i]!);
    out[i] = sums.sum(0);
  }
  return out;
}
