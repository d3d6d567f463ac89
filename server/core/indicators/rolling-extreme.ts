import { assertPeriod, nanArray, type StreamingIndicator } from './types';

/**
 * Highest (or lowest) of the last `period` inputs: a monotonic deque kept in fixed ring buffers,
 * O(1) amortised per update and no allocation after construction.
 */
class RollingExtreme implements StreamingIndicator {
  readonly period: number;
  readonly warmup: number;
  private readonly keepsMax: boolean;
  private readonly dequeValues: Float64Array;
  private readonly dequeIndices: Float64Array;
  private head = 0;
  private size = 0;
  private seen = 0;
  private result: number | null = null;

  constructor(period: number, keepsMax: boolean) {
    assertPeriod(period);
    this.period = period;
    this.warmup = period;
    this.keepsMax = keepsMax;
    this.dequeValues = new Float64Array(period);
    this.dequeIndices = new Float64Array(period);
  }

  update(value: number): number | null {
    const index = this.seen++;
    const capacity = this.period;
    // Drop the front when it has left the window.
    if (this.size > 0 && this.dequeIndices[this.head]! <= index - capacity) {
      this.head = this.head + 1 === capacity ? 0 : this.head + 1;
      this.size--;
    }
    // Drop from the back every value the new one dominates.
    while (this.size > 0) {
      const back = (this.head + this.size - 1) % capacity;
      const backValue = this.dequeValues[back]!;
      if (this.keepsMax ? backValue <= value : backValue >= value) this.size--;
      else break;
    }
    const slot = (this.head + this.size) % capacity;
    this.dequeValues[slot] = value;
    this.dequeIndices[slot] = index;
    this.size++;
    this.result = this.seen >= capacity ? this.dequeValues[this.head]! : null;
    return this.result;
  }

  get value(): number | null {
    return this.result;
  }

  get isStable(): boolean {
    return this.result !== null;
  }

  reset(): void {
    this.head = 0;
    this.size = 0;
    this.seen = 0;
    this.result = null;
  }
}

/** Highest of the last `period` inputs. */
export class RollingMax extends RollingExtreme {
  constructor(period: number) {
    super(period, true);
  }
}

/** Lowest of the last `period` inputs. */
export class RollingMin extends RollingExtreme {
  constructor(period: number) {
    super(period, false);
  }
}

export function rollingMax(values: Float64Array, period: number): Float64Array {
  return runBatch(new RollingMax(period), values);
}

export function rollingMin(values: Float64Array, period: number): Float64Array {
  return runBatch(new RollingMin(period), values);
}

function runBatch(indicator: RollingExtreme, values: Float64Array): Float64Array {
  const out = nanArray(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = indicator.update(values[i]!);
    if (v !== null) out[i] = v;
  }
  return out;
}

export interface DonchianValue {
  /** highest high of the last `period` bars */
  readonly upper: number;
  /** lowest low of the last `period` bars */
  readonly lower: number;
  /** (upper + lower) / 2 */
  readonly middle: number;
}

/**
 * Donchian channel over the last `period` bars, fed one bar's high and low at a time.
 * `update(high, low)` returns null for the first period − 1 bars. `value`/`isStable`/`reset` as usual.
 */
export class DonchianChannel {
  readonly period: number;
  readonly warmup: number;
  private readonly highest: RollingMax;
  private readonly lowest: RollingMin;
  private result: DonchianValue | null = null;

  constructor(period: number) {
    this.highest = new RollingMax(period);
    this.lowest = new RollingMin(period);
    this.period = period;
    this.warmup = period;
  }

  update(high: number, low: number): DonchianValue | null {
    const upper = this.highest.update(high);
    const lower = this.lowest.update(low);
    this.result = upper === null || lower === null ? null : { upper, lower, middle: (upper + lower) / 2 };
    return this.result;
  }

  get value(): DonchianValue | null {
    return this.result;
  }

  get isStable(): boolean {
    return this.result !== null;
  }

  reset(): void {
    this.highest.reset();
    this.lowest.reset();
    this.result = null;
  }
}

/** Donchian channel of every bar from high/low columns; NaN for the first period − 1 bars. */
export function donchian(high: Float64Array, low: Float64Array, period: number): { upper: Float64Array; lower: Float64Array } {
  return { upper: rollingMax(high, period), lower: rollingMin(low, period) };
}
