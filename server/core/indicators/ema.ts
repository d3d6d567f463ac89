import { assertPeriod, nanArray, type StreamingIndicator } from './types';

/**
 * Exponential moving average, k = 2 / (period + 1), seeded with the SMA of the first `period` inputs
 * (as technicalindicators does): defined from the period-th input on.
 */
export class EMA implements StreamingIndicator {
  readonly period: number;
  readonly warmup: number;
  private readonly smoothing: number;
  private count = 0;
  private seedSum = 0;
  private result: number | null = null;

  constructor(period: number) {
    assertPeriod(period);
    this.period = period;
    this.warmup = period;
    this.smoothing = 2 / (period + 1);
  }

  update(value: number): number | null {
    if (this.result !== null) {
      this.result = (value - this.result) * this.smoothing + this.result;
    } else {
      this.seedSum += value;
      this.count++;
      if (this.count === this.period) this.result = this.seedSum / this.period;
    }
    return this.result;
  }

  get value(): number | null {
    return this.result;
  }

  get isStable(): boolean {
    return this.result !== null;
  }

  reset(): void {
    this.count = 0;
    this.seedSum = 0;
    this.result = null;
  }
}

/** EMA of every index; NaN for the first period − 1 indices. */
export function ema(values: Float64Array, period: number): Float64Array {
  const indicator = new EMA(period);
  const out = nanArray(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = indicator.update(values[i]!);
    if (v !== null) out[i] = v;
  }
  return out;
}
