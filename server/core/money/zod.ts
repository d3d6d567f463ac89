/**
 * zod 4 schema for decimal strings at API boundaries (tRPC and REST share it). The output is the
 * canonical decimal string, so what a handler receives is what goes to Postgres.
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
}

/**
 * A string holding a decimal: `zDecimalString({ field: 'quantity', positive: true })`.
 * Numbers are refused on purpose: a JSON number has already lost precision by the time we see it.
 */
export function zDecimalString(options: DecimalStringSchemaOptions = {}) {
  const field = options.field ?? 'value';
  const bounds = [
    options.positive ? '> 0' : options.allowNegative ? null : '>= 0',
    options.min !== undefined ? `>= ${formatDecimal(options.min)}` : null,
    options.max !== undefined ? `<= ${formatDecimal(options.max)}` : null,
  ].filter(Boolean);
  return safeText()
    .transform((value, ctx) => {
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
        ctx.addIssue({ code: 'custom', message: `${field} ${error.reason}`, input: value });
        return z.NEVER;
      }
    })
    .describe(`decimal string${bounds.length ? ` (${bounds.join(', ')})` : ''}, e.g. "0.001"`);
}
