import { assertPeriod, type SteppingIndicator } from './types';

/**
 * Exponential moving average, k = 2 / (period + 1), seeded with the SMA of the first `period` inputs
 * (as technicalindicators does): defined from the period-th input on.
 */
export class EMA implements SteppingIndicator {
  readonly period: number;
  readonly warmup: number;
  private readonly smoothing: number;
  private count = 0;
  private seedSum = 0;
  /** the last result, NaN while warming up; a number-only field (see SteppingIndicator) */
  private current = Number.NaN;
  private ready = false;

  constructor(period: number) {
    assertPeriod(period);
    this.period = period;
    this.warmup = period;
    this.smoothing = 2 / (period + 1);
  }

  update(value: number): number | null {
    const result = this.step(value);
    return this.ready ? result : null;
  }

  /** update(value) ?? NaN, without the null (see SteppingIndicator) */
  step(value: number): number {
    if (this.ready) {
      this.current = (value - this.current) * this.smoothing + this.current;
    } else {
      this.seedSum += value;
      this.count++;
      if (this.count === this.period) {
        this.current = this.seedSum / this.period;
        this.ready = true;
      }
    }
    return this.current;
  }

  get value(): number | null {
    return this.ready ? this.current : null;
  }

  get isStable(): boolean {
    return this.ready;
  }

  reset(): void {
    this.count = 0;
    this.seedSum = 0;
    this.current = Number.NaN;
    this.ready = false;
  }
}

/**
 * EMA of every index; NaN for the first period − 1 indices. The EMA class's arithmetic written as one loop (same
 * seed, same smoothing, same order of operations), so the values are bit for bit the class's. Written into `out`
 * when given (every index; its length must be the values').
 */
export function ema(values: Float64Array, period: number, out: Float64Array = new Float64Array(values.length)): Float64Array {
  assertPeriod(period);
  const n = values.length;
  if (out.length !== n) throw new RangeError(`out has ${out.length} values for ${n}`);
  const smoothing = 2 / (period + 1);
  let seedSum = 0;
  let current = Number.NaN;
  for (let i = 0; i < n; i++) {
    const value = values[i]!;
    if (i >= period) current = (value - current) * smoothing + current;
    else {
      seedSum += value;
      if (i + 1 === period) current = seedSum / period;
    }
    out[i] = current;
  }
  return out;
}
