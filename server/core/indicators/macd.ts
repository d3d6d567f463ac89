import { EMA } from './ema';
import { assertPeriod, nanArray, type StreamingIndicator } from './types';

export interface MacdValue {
  /** EMA(fast) − EMA(slow) */
  readonly macd: number;
  /** EMA(signalPeriod) of the MACD line */
  readonly signal: number;
  /** macd − signal */
  readonly histogram: number;
}

/**
 * MACD with EMAs throughout (technicalindicators with SimpleMAOscillator/SimpleMASignal = false).
 * The MACD line exists once both EMAs are seeded; `update` returns null until the signal EMA is seeded too,
 * i.e. for the first max(fast, slow) + signal − 2 inputs. `macdLine` exposes the line as soon as it exists.
 * `period` is the slow period.
 */
export class MACD implements StreamingIndicator<MacdValue> {
  readonly period: number;
  readonly warmup: number;
  readonly fastPeriod: number;
  readonly slowPeriod: number;
  readonly signalPeriod: number;
  private readonly fast: EMA;
  private readonly slow: EMA;
  private readonly signalEma: EMA;
  private line: number | null = null;
  private result: MacdValue | null = null;

  constructor(fastPeriod: number, slowPeriod: number, signalPeriod: number) {
    assertPeriod(fastPeriod, 'fastPeriod');
    assertPeriod(slowPeriod, 'slowPeriod');
    assertPeriod(signalPeriod, 'signalPeriod');
    this.fastPeriod = fastPeriod;
    this.slowPeriod = slowPeriod;
    this.signalPeriod = signalPeriod;
    this.period = slowPeriod;
    this.warmup = Math.max(fastPeriod, slowPeriod) + signalPeriod - 1;
    this.fast = new EMA(fastPeriod);
    this.slow = new EMA(slowPeriod);
    this.signalEma = new EMA(signalPeriod);
  }

  update(value: number): MacdValue | null {
    const fast = this.fast.update(value);
    const slow = this.slow.update(value);
    if (fast === null || slow === null) return null;
    const line = fast - slow;
    this.line = line;
    const signal = this.signalEma.update(line);
    this.result = signal === null ? null : { macd: line, signal, histogram: line - signal };
    return this.result;
  }

  /** The MACD line alone (defined before the signal line is). */
  get macdLine(): number | null {
    return this.line;
  }

  get value(): MacdValue | null {
    return this.result;
  }

  get isStable(): boolean {
    return this.result !== null;
  }

  reset(): void {
    this.fast.reset();
    this.slow.reset();
    this.signalEma.reset();
    this.line = null;
    this.result = null;
  }
}

export interface MacdSeries {
  readonly macd: Float64Array;
  readonly signal: Float64Array;
  readonly histogram: Float64Array;
}

/** MACD of every index: `macd` is NaN until both EMAs exist, `signal`/`histogram` until the signal EMA does. */
export function macd(values: Float64Array, fastPeriod: number, slowPeriod: number, signalPeriod: number): MacdSeries {
  const indicator = new MACD(fastPeriod, slowPeriod, signalPeriod);
  const out = { macd: nanArray(values.length), signal: nanArray(values.length), histogram: nanArray(values.length) };
  for (let i = 0; i < values.length; i++) {
    const v = indicator.update(values[i]!);
    const line = indicator.macdLine;
    if (line !== null) out.macd[i] = line;
    if (v !== null) {
      out.signal[i] = v.signal;
      out.histogram[i] = v.histogram;
    }
  }
  return out;
}
