import { assertPeriod, nanArray, type StreamingIndicator } from './types';

/**
 * Simple moving average over the last `period` inputs, with a running sum (O(1) per update).
 * Arithmetic order (subtract the leaving value, then add the new one) matches technicalindicators
 * and the benchmark kernel, so all three produce bit-identical values.
 */
export class SMA implements StreamingIndicator {
  readonly period: number;
  readonly warmup: number;
  private readonly window: Float64Array;
  private position = 0;
  private count = 0;
  private sum = 0;
  private result: number | null = null;

  constructor(period: number) {
    assertPeriod(period);
    this.period = period;
    this.warmup = period;
    this.window = new Float64Array(period);
  }

  update(value: number): number | null {
    if (this.count >= this.period) this.sum -= this.window[this.position]!;
    else this.count++;
    this.sum += value;
    this.window[this.position] = value;
    this.position = this.position + 1 === this.period ? 0 : this.position + 1;
    this.result = this.count === this.period ? this.sum / this.period : null;
    return this.result;
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
    this.sum = 0;
    this.result = null;
  }
}

/** SMA of every index; NaN for the first period − 1 indices. */
export function sma(values: Float64Array, period: number): Float64Array {
  const indicator = new SMA(period);
  const out = nanArray(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = indicator.update(values[i]!);
    if (v !== null) out[i] = v;
  }
  return out;
}
