import { assertPeriod, nanArray, type StreamingIndicator } from './types';

/**
 * Relative Strength Index with Wilder's smoothing. The first average gain/loss is the plain mean of the
 * first `period` changes (so the first RSI needs period + 1 inputs); then avg = (avg × (period − 1) + x) / period.
 * RSI = 100 − 100 / (1 + avgGain / avgLoss); 100 when avgLoss = 0, 0 when avgGain = 0 (technicalindicators'
 * conventions; unlike it, the value is not rounded to 2 decimals).
 */
export class RSI implements StreamingIndicator {
  readonly period: number;
  readonly warmup: number;
  private previous = Number.NaN;
  private changes = 0;
  private gainSum = 0;
  private lossSum = 0;
  private avgGain = 0;
  private avgLoss = 0;
  private result: number | null = null;

  constructor(period: number) {
    assertPeriod(period);
    this.period = period;
    this.warmup = period + 1;
  }

  update(value: number): number | null {
    const previous = this.previous;
    this.previous = value;
    if (Number.isNaN(previous)) return this.result;
    const change = value - previous;
    const gain = change > 0 ? change : 0;
    const loss = change < 0 ? -change : 0;
    if (this.changes < this.period) {
      this.gainSum += gain;
      this.lossSum += loss;
      this.changes++;
      if (this.changes < this.period) return this.result;
      this.avgGain = this.gainSum / this.period;
      this.avgLoss = this.lossSum / this.period;
    } else {
      this.avgGain = (this.avgGain * (this.period - 1) + gain) / this.period;
      this.avgLoss = (this.avgLoss * (this.period - 1) + loss) / this.period;
    }
    if (this.avgLoss === 0) this.result = 100;
    else if (this.avgGain === 0) this.result = 0;
    else this.result = 100 - 100 / (1 + this.avgGain / this.avgLoss);
    return this.result;
  }

  /** Wilder-smoothed average gain and loss behind the current value (NaN while warming up). */
  get averageGain(): number {
    return this.result === null ? Number.NaN : this.avgGain;
  }

  get averageLoss(): number {
    return this.result === null ? Number.NaN : this.avgLoss;
  }

  get value(): number | null {
    return this.result;
  }

  get isStable(): boolean {
    return this.result !== null;
  }

  reset(): void {
    this.previous = Number.NaN;
    this.changes = 0;
    this.gainSum = 0;
    this.lossSum = 0;
    this.avgGain = 0;
    this.avgLoss = 0;
    this.result = null;
  }
}

/** RSI of every index; NaN for the first `period` indices. */
export function rsi(values: Float64Array, period: number): Float64Array {
  const indicator = new RSI(period);
  const out = nanArray(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = indicator.update(values[i]!);
    if (v !== null) out[i] = v;
  }
  return out;
}
