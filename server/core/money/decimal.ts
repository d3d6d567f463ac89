/**
 * Money and quantities as decimals (decimal.js), never floats: prices, quantities, fees and balances
 * travel as canonical decimal strings ("0.001", "64000.5", never "1e-3") and are computed as `Decimal`.
 *
 * Boundaries (API input, exchange responses, database rows) go through `parseDecimal`, which fails fast
 * with a `DomainError` naming the field and the reason. Inside the core, the arithmetic helpers accept
 * already-validated values.
 */
import DecimalJs from 'decimal.js';
import { DomainError } from './errors';

/**
 * Our Decimal constructor: 80 significant digits, so the product of two boundary values
 * (≤ 1e15 with ≤ 18 decimal places: 34 digits each) is exact; half-even rounding where a result must round.
 */
export const Decimal = DecimalJs.clone({
  precision: 80,
  rounding: DecimalJs.ROUND_HALF_EVEN,
  toExpNeg: -1000,
  toExpPos: 1000,
});
export type Decimal = DecimalJs;

/** What the helpers accept: a Decimal, a canonical decimal string or a finite number. */
export type DecimalInput = DecimalJs | string | number;

/** Largest magnitude accepted at a boundary: nothing we trade, hold or price comes near 1e15. */
export const MAX_MAGNITUDE = new Decimal('1e15');
/** Most decimal places accepted at a boundary (the scale of the `numeric` columns). */
export const MAX_DECIMAL_PLACES = 18;

export interface ParseDecimalOptions {
  /** Inclusive lower bound. */
  min?: DecimalInput;
  /** Inclusive upper bound. */
  max?: DecimalInput;
  /** Whether 0 is accepted (default true). */
  allowZero?: boolean;
  /** Whether negative values (and "-0") are accepted (default false: money and quantities are ≥ 0). */
  allowNegative?: boolean;
}

// JSON-number-like: optional minus, digits, optional fraction, optional short exponent. No "+", no
// leading/trailing ".", no whitespace, no hex/binary/octal (which decimal.js would otherwise accept).
const DECIMAL_PATTERN = /^-?\d+(\.\d+)?([eE][+-]?\d{1,5})?$/;

/**
 * Validates a decimal at a boundary and returns it as a Decimal. Rejects: anything that is not a finite
 * decimal number (NaN, Infinity, "", "0x10", " 1"), |value| > 1e15 (so "1e309" too), more than 18 significant
 * decimal places, negatives and "-0" unless `allowNegative`, zero unless `allowZero`, and values outside
 * [min, max]. Trailing zeros do not count as decimal places ("1.500" is 1.5).
 */
export function parseDecimal(value: unknown, field: string, options: ParseDecimalOptions = {}): Decimal {
  const { allowZero = true, allowNegative = false } = options;
  let parsed: Decimal;
  if (typeof value === 'string') {
    if (!DECIMAL_PATTERN.test(value)) throw new DomainError(field, 'must be a decimal number');
    parsed = new Decimal(value);
  } else if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new DomainError(field, 'must be a finite decimal number');
    parsed = new Decimal(value);
  } else if (typeof value === 'bigint') {
    parsed = new Decimal(value.toString());
  } else if (DecimalJs.isDecimal(value)) {
    parsed = new Decimal(value as DecimalJs);
    if (!parsed.isFinite()) throw new DomainError(field, 'must be a finite decimal number');
  } else {
    throw new DomainError(field, 'must be a decimal number');
  }

  if (parsed.abs().gt(MAX_MAGNITUDE)) throw new DomainError(field, 'magnitude exceeds 1e15');
  if (parsed.decimalPlaces() > MAX_DECIMAL_PLACES) {
    throw new DomainError(field, `has more than ${MAX_DECIMAL_PLACES} decimal places`);
  }
  if (parsed.isNegative() && !allowNegative) {
    throw new DomainError(field, parsed.isZero() ? 'must not be negative zero' : 'must not be negative');
  }
  if (parsed.isZero()) {
    if (!allowZero) throw new DomainError(field, 'must be greater than zero');
    parsed = new Decimal(0); // drop the sign of "-0"
  }
  if (options.min !== undefined && parsed.lt(toDecimal(options.min))) {
    throw new DomainError(field, `must be at least ${formatDecimal(options.min)}`);
  }
  if (options.max !== undefined && parsed.gt(toDecimal(options.max))) {
    throw new DomainError(field, `must be at most ${formatDecimal(options.max)}`);
  }
  return parsed;
}

/** `parseDecimal`, returning the canonical string (what goes to Postgres and over the wire). */
export function parseDecimalString(value: unknown, field: string, options: ParseDecimalOptions = {}): string {
  return formatDecimal(parseDecimal(value, field, options));
}

/**
 * A Decimal from a trusted value (inside the core). Still refuses NaN and ±Infinity, which would
 * otherwise propagate silently through decimal.js arithmetic.
 */
export function toDecimal(value: DecimalInput, field = 'value'): Decimal {
  if (typeof value === 'number' && !Number.isFinite(value)) throw new DomainError(field, 'must be a finite decimal number');
  let result: Decimal;
  try {
    result = new Decimal(value);
  } catch {
    throw new DomainError(field, 'must be a decimal number');
  }
  if (!result.isFinite()) throw new DomainError(field, 'must be a finite decimal number');
  return result;
}

/**
 * A float (backtest / fill-model output) as a Decimal with at most 18 decimal places (half-even).
 * The float's shortest round-trip representation is the starting point (0.1 → "0.1", not 0.1000000000000000055…).
 */
export function decimalFromNumber(value: number, field = 'value'): Decimal {
  return toDecimal(value, field).toDecimalPlaces(MAX_DECIMAL_PLACES, Decimal.ROUND_HALF_EVEN);
}

/** Canonical string: plain notation (never an exponent), no trailing zeros, no "-0". */
export function formatDecimal(value: DecimalInput): string {
  const decimal = toDecimal(value);
  return decimal.isZero() ? '0' : decimal.toFixed();
}

/**
 * An engine float as the decimal it stands for, to 15 significant digits (a double's exact decimal width), as a
 * canonical string: 59496.85669000001 → "59496.85669", 0.1 + 0.2 → "0.3". How backtest results leave as text.
 */
export function floatToDecimalString(value: number, field = 'value'): string {
  if (!Number.isFinite(value)) throw new DomainError(field, 'must be a finite number');
  const text = value.toPrecision(15);
  // Without Decimal (a chart window formats tens of thousands of these): the canonical form is the 15 digits without
  // trailing fractional zeros and without an exponent — what Decimal#toFixed gives.
  const e = text.indexOf('e');
  if (e < 0) {
    const trimmed = text.includes('.') ? text.replace(/\.?0+$/, '') : text;
    return trimmed === '0' || trimmed === '-0' ? '0' : trimmed;
  }
  // d.dddddddddddddde±x, toPrecision's form for |value| < 1e-6 or ≥ 1e15: the digits shifted by hand.
  const negative = text.startsWith('-');
  const exponent = Number(text.slice(e + 1));
  const digits = text
    .slice(negative ? 1 : 0, e)
    .replace('.', '')
    .replace(/0+$/, '');
  const sign = negative ? '-' : '';
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  return `${sign}${digits}${'0'.repeat(exponent + 1 - digits.length)}`; // exponent ≥ 15 ≥ the digits' count − 1
}

// ---- arithmetic (exact for sums, differences and products of boundary values) ----

export function add(a: DecimalInput, b: DecimalInput): Decimal {
  return toDecimal(a).plus(toDecimal(b));
}

export function sub(a: DecimalInput, b: DecimalInput): Decimal {
  return toDecimal(a).minus(toDecimal(b));
}

export function mul(a: DecimalInput, b: DecimalInput): Decimal {
  return toDecimal(a).times(toDecimal(b));
}

/** a / b to 80 significant digits; dividing by zero is a DomainError, never Infinity. */
export function div(a: DecimalInput, b: DecimalInput, field = 'divisor'): Decimal {
  const divisor = toDecimal(b);
  if (divisor.isZero()) throw new DomainError(field, 'division by zero', 'division_by_zero');
  return toDecimal(a).dividedBy(divisor);
}

export function sum(values: Iterable<DecimalInput>): Decimal {
  let total = new Decimal(0);
  for (const value of values) total = total.plus(toDecimal(value));
  return total;
}

/** -1 if a < b, 0 if equal, 1 if a > b (numerically: "1.50" equals "1.5"). */
export function compare(a: DecimalInput, b: DecimalInput): -1 | 0 | 1 {
  return toDecimal(a).comparedTo(toDecimal(b)) as -1 | 0 | 1;
}

export function minOf(a: DecimalInput, b: DecimalInput): Decimal {
  return compare(a, b) <= 0 ? toDecimal(a) : toDecimal(b);
}

export function maxOf(a: DecimalInput, b: DecimalInput): Decimal {
  return compare(a, b) >= 0 ? toDecimal(a) : toDecimal(b);
}

export function isZero(value: DecimalInput): boolean {
  return toDecimal(value).isZero();
}

// ---- rounding to exchange precision ----

/**
 * `down` rounds toward −∞ (floor), `up` toward +∞ (ceil), `nearest` to the closest multiple with
 * ties away from zero. For the positive quantities and prices we send, down = truncate.
 */
export type RoundingMode = 'down' | 'up' | 'nearest';

const ROUNDING: Record<RoundingMode, DecimalJs.Rounding> = {
  down: Decimal.ROUND_FLOOR,
  up: Decimal.ROUND_CEIL,
  nearest: Decimal.ROUND_HALF_UP,
};

/**
 * Rounds to a multiple of `step` (a tick size for prices, a lot size for quantities), e.g.
 * roundToStep("0.123456", "0.001", "down") = 0.123. `step` must be > 0.
 */
export function roundToStep(value: DecimalInput, step: DecimalInput, mode: RoundingMode): Decimal {
  const stepDecimal = toDecimal(step, 'step');
  if (!stepDecimal.gt(0)) throw new DomainError('step', 'must be greater than zero');
  return toDecimal(value).dividedBy(stepDecimal).toDecimalPlaces(0, ROUNDING[mode]).times(stepDecimal);
}

/** Rounds to `decimals` decimal places (markets whose precision is given as a number of digits). */
export function roundToDecimals(value: DecimalInput, decimals: number, mode: RoundingMode): Decimal {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > MAX_DECIMAL_PLACES) {
    throw new DomainError('decimals', `must be an integer from 0 to ${MAX_DECIMAL_PLACES}`);
  }
  return toDecimal(value).toDecimalPlaces(decimals, ROUNDING[mode]);
}

/** Whether `value` is an exact multiple of `step`. */
export function isMultipleOfStep(value: DecimalInput, step: DecimalInput): boolean {
  const stepDecimal = toDecimal(step, 'step');
  if (!stepDecimal.gt(0)) throw new DomainError('step', 'must be greater than zero');
  return toDecimal(value).modulo(stepDecimal).isZero();
}
