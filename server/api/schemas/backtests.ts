import { z } from 'zod';
import { jsonValue, safeText } from '@/server/core/text';
import { MAX_SWEEP_COMBINATIONS } from '@/server/core/backtest/sweep';
import { parseIsoTimeUtc } from '@/server/core/time';
import { ZBacktestStatus, ZBacktestMetricsSchema, ZBacktestTradeSchema, ZBacktestSummarySchema, ZBacktestResponseSchema, ZBacktestChartSchema, ZSweepSummarySchema, ZSweepResponseSchema } from '@/server/services/backtests/views';

// Latest time accepted: 2100-01-01 (ms). Earliest: the epoch.
const MAX_TIME_MS = 4_102_444_800_000;

/** A time as ISO 8601 (no zone = UTC, like a plain date at midnight) or ms since epoch; out: ms. */
export const ZTime = z
  .union([z.number({ error: 'must be an ISO 8601 time or ms since epoch' }), safeText({ error: 'must be an ISO 8601 time or ms since epoch' })])
  .transform((value, ctx) => {
    let ms: number;
    if (typeof value === 'number') ms = value;
    else if (/^\d{1,16}$/.test(value)) ms = Number(value);
    else ms = parseIsoTimeUtc(value);
    if (!Number.isInteger(ms) || ms < 0 || ms > MAX_TIME_MS) {
      ctx.addIssue({ code: 'custom', message: 'must be an ISO 8601 time (no zone = UTC, e.g. 2024-01-31T00:00:00Z), a date, or ms since epoch, between 1970 and 2100' });
      return z.NEVER;
    }
    return ms;
  });

/** A money-like number: a JSON number or a decimal string; NaN, Infinity and out-of-range values are refused. */
function zBoundedNumber(options: { min: number; minInclusive: boolean; max: number; message: string }) {
  return z
    .union([z.number({ error: options.message }), safeText({ error: options.message }).regex(/^\d+(\.\d+)?(e-?\d+)?$/i, { error: options.message }).transform(Number)], {
      error: options.message,
    })
    .refine((v) => Number.isFinite(v) && (options.minInclusive ? v >= options.min : v > options.min) && v <= options.max, { error: options.message });
}

export const ZInitialCapital = zBoundedNumber({ min: 0, minInclusive: false, max: 1e12, message: 'must be a number greater than 0 and at most 1e12 (quote currency)' });
export const ZFeeRate = zBoundedNumber({ min: 0, minInclusive: true, max: 0.1, message: 'must be a fraction from 0 to 0.1 (0.001 = 0.1% per fill)' });
export const ZSlippage = zBoundedNumber({ min: 0, minInclusive: true, max: 0.1, message: 'must be a fraction from 0 to 0.1 (0.0005 = 0.05% per fill)' });

const runShape = {
  strategyId: z.string({ error: 'is required' }).uuid({ error: 'must be a strategy id (UUID)' }),
  start: ZTime,
  end: ZTime,
  initialCapital: ZInitialCapital.default(10_000),
  feeRate: ZFeeRate.default(0.001),
  slippage: ZSlippage.default(0.0005),
};

function endAfterStart(value: { start: number; end: number }, ctx: z.RefinementCtx) {
  if (value.end <= value.start) ctx.addIssue({ code: 'custom', path: ['end'], message: 'must be after start' });
}

export const ZCreateBacktestRequestSchema = z
  .object({ ...runShape, params: z.record(safeText(), jsonValue(), { error: 'must be an object of parameter values' }).optional() })
  .strict()
  .superRefine(endAfterStart);
export type CreateBacktestRequest = z.input<typeof ZCreateBacktestRequestSchema>;

const ZParamRange = z.union(
  [
    z.object({ min: z.number({ error: 'must be a number' }), max: z.number({ error: 'must be a number' }), step: z.number({ error: 'must be a number' }).positive({ error: 'must be greater than 0' }) }).strict(),
    z.object({ values: z.array(z.union([z.number(), z.boolean(), safeText().max(100)]), { error: 'must be a list' }).min(1, { error: 'must not be empty' }).max(MAX_SWEEP_COMBINATIONS) }).strict(),
  ],
  { error: 'must be {min, max, step} or {values: [...]}' },
);

export const ZCreateSweepRequestSchema = z
  .object({
    ...runShape,
    ranges: z
      .record(safeText(), ZParamRange, { error: 'must be an object of parameter ranges' })
      .refine((r) => Object.keys(r).length >= 1, { error: 'name at least one parameter to sweep' })
      .refine((r) => Object.keys(r).length <= 6, { error: 'sweep at most 6 parameters at once' }),
  })
  .strict()
  .superRefine(endAfterStart);
export type CreateSweepRequest = z.input<typeof ZCreateSweepRequestSchema>;

export const ZListBacktestsQuerySchema = z.object({ strategyId: z.string().uuid({ error: 'must be a strategy id (UUID)' }).optional() }).strict();

export { ZBacktestStatus, ZBacktestMetricsSchema, ZBacktestTradeSchema, ZBacktestSummarySchema, ZBacktestResponseSchema, ZBacktestChartSchema, ZSweepSummarySchema, ZSweepResponseSchema };
export type BacktestTradeResponse = z.infer<typeof ZBacktestTradeSchema>;
