/**
 * zod 4 schemas for decimals at API boundaries (tRPC and REST share them). The output is the canonical
 * decimal string, so what a handler receives is what goes to Postgres. Every request field that is a rate,
 * a price or an amount uses `zDecimalInput` (docs/api.md, "Types"): a JSON number or a decimal string.
 */
import { z } from 'zod';
import { safeText } from '../text';
import { formatDecimal, parseDecimal, type DecimalInput } from './decimal';
import { isDomainError } from './errors';

export interface DecimalStringSchemaOptions {
  /** Field name used in the error message (the issue's path still comes from the object key). */
  field?: string;
  /** Inclusive lower bound. */
  min?: DecimalInput;
  /** Inclusive upper bound. */
  max?: DecimalInput;
  /** Strictly greater than zero (quantities, prices). */
  positive?: boolean;
  /** Accept negative values (PnL, deltas); default false. */
  allowNegative?: boolean;
  /** Replaces the reason in every error ("must be a fraction from 0 to 0.1"); default: `${field} ${reason}`. */
  message?: string;
}

function bounds(options: DecimalStringSchemaOptions): string[] {
  return [
    options.positive ? '> 0' : options.allowNegative ? null : '>= 0',
    options.min !== undefined ? `>= ${formatDecimal(options.min)}` : null,
    options.max !== undefined ? `<= ${formatDecimal(options.max)}` : null,
  ].filter((b): b is string => b !== null);
}

/** The canonical decimal string of `value` within the options' bounds, or a field-named issue. */
function canonical(value: string | number, options: DecimalStringSchemaOptions, ctx: z.RefinementCtx): string {
  const field = options.field ?? 'value';
  try {
    return formatDecimal(
      parseDecimal(value, field, {
        min: options.min,
        max: options.max,
        allowZero: !options.positive,
        allowNegative: options.allowNegative ?? false,
      }),
    );
  } catch (error) {
    if (!isDomainError(error)) throw error;
    ctx.addIssue({ code: 'custom', message: options.message ?? `${field} ${error.reason}`, input: value });
    return z.NEVER as never;
  }
}

/**
 * A rate, price or amount in a request: a finite JSON number (`0.001`) or a decimal string (`"0.001"`, `"1e-3"`),
 * out as the canonical decimal string (`"0.001"`). A JSON number is read as the shortest decimal that prints it
 * (0.1 is "0.1", not 0.1000000000000000055…), which is what the sender wrote. NaN, Infinity, "abc", booleans
 * and values outside the bounds are refused with an error naming the field.
 */
export function zDecimalInput(options: DecimalStringSchemaOptions = {}) {
  const field = options.field ?? 'value';
  const b = bounds(options);
  const message = options.message ?? `${field} must be a decimal number (a JSON number or a decimal string such as "0.001")`;
  return z
    .union([z.number({ error: message }), safeText({ error: message })], { error: message })
    .transform((value, ctx) => canonical(value, options, ctx))
    .describe(`decimal: a JSON number or a decimal string${b.length ? ` (${b.join(', ')})` : ''}, e.g. 0.001 or "0.001"`);
}

/**
 * A string holding a decimal: `zDecimalString({ field: 'quantity', positive: true })`. Numbers are refused.
 * Request fields do not use it (they take `zDecimalInput`, number or string); it stays for text that must be text.
 */
export function zDecimalString(options: DecimalStringSchemaOptions = {}) {
  const b = bounds(options);
  return safeText()
    .transform((value, ctx) => canonical(value, options, ctx))
    .describe(`decimal string${b.length ? ` (${b.join(', ')})` : ''}, e.g. "0.001"`);
}

/** The canonical decimal text every response gives money, quantities and decimal rates in: no exponent, no trailing zeros. */
export const CANONICAL_DECIMAL_PATTERN = '^-?(0|[1-9][0-9]*)(\\.[0-9]*[1-9])?$';

/**
 * A money amount, quantity, price or rate in a response (docs/api.md, "Types"): a canonical decimal string such
 * as "10000.5" (what `formatDecimal` prints). The OpenAPI document states the pattern and the e2e suite checks
 * every response against it; at run time it is a string, so a response never fails over its spelling.
 */
export function zDecimalOutput(description?: string) {
  return z.string().meta({ pattern: CANONICAL_DECIMAL_PATTERN, example: '10000.5', ...(description ? { description } : {}) });
}
