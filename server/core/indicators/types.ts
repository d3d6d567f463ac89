/**
 * The one contract every streaming indicator keeps (after trading-signals' `add`/`getResult`/`isStable`):
 * - `update(value)` feeds the next closed bar's input and returns the new value, or null while warming up;
 * - `value` is the last result (null while warming up), `isStable` says whether it is defined;
 * - `period` is the look-back it was built with; `warmup` is how many inputs it takes to produce the first
 *   value (the first non-null result comes from the warmup-th update);
 * - `reset()` returns it to the freshly constructed state.
 * Updates are O(1) (amortised for rolling max/min and the periodic re-sum of the standard deviation).
 */
export interface StreamingIndicator<T = number> {
  readonly period: number;
  readonly warmup: number;
  update(value: number): T | null;
  readonly value: T | null;
  readonly isStable: boolean;
  reset(): void;
}

/**
 * A streaming indicator with one number per input that can also be stepped without `null`: `step(value)` feeds
 * the input exactly as `update(value)` does and returns the same number, or NaN while warming up
 * (`step(x)` ≡ `update(x) ?? NaN`). Hot loops use it: a `number | null` result makes V8 allocate a heap number
 * for every value, a plain number does not.
 */
export interface SteppingIndicator extends StreamingIndicator<number> {
  step(value: number): number;
}

export function assertPeriod(period: number, name = 'period'): void {
  if (!Number.isInteger(period) || period < 1) throw new RangeError(`${name} must be an integer ≥ 1, got ${period}`);
}

/** A Float64Array of `length` NaNs: the batch functions' "not yet defined" marker. */
export function nanArray(length: number): Float64Array {
  return new Float64Array(length).fill(Number.NaN);
}
