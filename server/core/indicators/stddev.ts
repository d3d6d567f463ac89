import { assertPeriod, nanArray, type StreamingIndicator } from './types';

/**
 * Rolling population standard deviation (divide by `period`) of the last `period` inputs.
 * O(1) amortised: a rolling Welford update per input, with an exact two-pass re-computation of the window
 * every `period` updates so rounding error cannot accumulate. A window whose values are all equal gives
 * exactly 0 (tracked by the length of the trailing run of equal inputs), never a tiny rounding residue —
 * strategies that divide by the deviation rely on that.
 */
export class StandardDeviation implements StreamingIndicator {
  readonly period: number;
  readonly warmup: number;
  private readonly window: Float64Array;
  private position = 0;
  private count = 0;
  private mean = 0;
  private m2 = 0;
  private sinceResum = 0;
  private equalRun = 0;
  private last = Number.NaN;
  private result: number | null = null;

  constructor(period: number) {
    assertPeriod(period);
    this.period = period;
    this.warmup = period;
    this.window = new Float64Array(period);
  }

  update(value: number): number | null {
    this.equalRun = value === this.last ? this.equalRun + 1 : 1;
    this.last = value;
    if (this.count < this.period) {
      this.count++;
      const delta = value - this.mean;
      this.mean += delta / this.count;
      this.m2 += delta * (value - this.mean);
    } else {
      const leaving = this.window[this.position]!;
      const previousMean = this.mean;
      this.mean = previousMean + (value - leaving) / this.period;
      this.m2 += (value - leaving) * (value - this.mean + leaving - previousMean);
    }
    this.window[this.position] = value;
    this.position = this.position + 1 === this.period ? 0 : this.position + 1;
    if (this.count < this.period) return (this.result = null);
    if (++this.sinceResum >= this.period) this.resum();
    if (this.equalRun >= this.period) this.result = 0;
    else this.result = this.m2 > 0 ? Math.sqrt(this.m2 / this.period) : 0;
    return this.result;
  }

  /** Mean of the current window (NaN while warming up). */
  get windowMean(): number {
    return this.result === null ? Number.NaN : this.mean;
  }

  private resum(): void {
    let sum = 0;
    for (let k = 0; k < this.period; k++) sum += this.window[k]!;
    const mean = sum / this.period;
    let m2 = 0;
    for (let k = 0; k < this.period; k++) {
      const d = this.window[k]! - mean;
      m2 += d * d;
    }
    this.mean = mean;
    this.m2 = m2;
    this.sinceResum = 0;
  }

  get value(): number | null {
    return this.result;
  }

  get isStable(): boolean {
    return this.result !== null;
  }

  reset(): void {
    this.window.fill(0);
    this.position = 0;
    this.count = 0;
    this.mean = 0;
    this.m2 = 0;
    this.sinceResum = 0;
    this.equalRun = 0;
    this.last = Number.NaN;
    this.result = null;
  }
}

/** Rolling population standard deviation of every index; NaN for the first period − 1 indices. */
export function stddev(values: Float64Array, period: number): Float64Array {
  const indicator = new StandardDeviation(period);
  const out = nanArray(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = indicator.update(values[i]!);
    if (v !== null) out[i] = v;
  }
  return out;
}
