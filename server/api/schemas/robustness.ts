import { z } from 'zod';
import { JOB_STATUSES } from '@/db/schema';
import { MAX_WALK_FORWARD_FOLDS, MAX_WALK_FORWARD_TRIALS, WALK_FORWARD_OBJECTIVES } from '@/server/core/robustness/walk-forward';
import { safeText } from '@/server/core/text';
import { endAfterStart, ZRunSpecSchema, ZTime } from '@/server/services/backtests/run-spec';
import { ZStrategyRangeFields, ZWalkForwardResponseSchema } from '@/server/services/robustness/views';

/** Robustness lab requests and responses, shared by REST (app/api/v1) and tRPC (routers/robustness.ts). docs/robustness.md. */

const ZJobState = {
  id: z.string(),
  status: z.enum(JOB_STATUSES),
  progress: z.number(),
  progressMessage: z.string().nullable(),
  error: z.string().nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
};

// Bias checks ----------------------------------------------------------------------------------

export const ZCreateBiasCheckRequestSchema = z
  .object({
    /** ms since epoch or ISO 8601, UTC, inclusive */
    start: ZTime,
    /** exclusive */
    end: ZTime,
  })
  .strict()
  .superRefine(endAfterStart);

const ZBiasFinding = z.object({
  passed: z.boolean(),
  bar: z.number().int().optional(),
  time: z.string().optional(),
  detail: z.string().optional(),
});

export const ZBiasCheckResponseSchema = z.object({
  ...ZJobState,
  ...ZStrategyRangeFields,
  bars: z.number().int().nullable(),
  settleBars: z.number().int().nullable(),
  lookahead: ZBiasFinding.nullable(),
  recursive: ZBiasFinding.nullable(),
});

// Monte Carlo -----------------------------------------------------------------------------------

export const ZCreateMonteCarloRequestSchema = z
  .object({
    method: z.enum(['shuffle', 'bootstrap', 'blocks'], { error: 'must be shuffle, bootstrap or blocks' }),
    runs: z
      .number({ error: 'must be a number' })
      .int({ error: 'must be a whole number' })
      .min(1_000, { error: 'must be at least 1000' })
      .max(100_000, { error: 'must be at most 100000' })
      .default(1_000),
    seed: z
      .number({ error: 'must be a number' })
      .int({ error: 'must be a whole number' })
      .min(0, { error: 'must be from 0 to 4294967295' })
      .max(4_294_967_295, { error: 'must be from 0 to 4294967295' })
      .optional(),
    blockBars: z.number({ error: 'must be a number' }).int({ error: 'must be a whole number' }).min(1, { error: 'must be at least 1' }).optional(),
    ruinDrawdownPct: z.number({ error: 'must be a number' }).gt(0, { error: 'must be greater than 0' }).max(100, { error: 'must be at most 100' }).default(50),
  })
  .strict();

const ZBand = z.object({ p5: z.number(), p50: z.number(), p95: z.number() });
const ZBins = z.array(z.object({ from: z.number(), to: z.number(), count: z.number().int() }));

export const ZMonteCarloResponseSchema = z.object({
  ...ZJobState,
  backtestId: z.string(),
  method: z.enum(['shuffle', 'bootstrap', 'blocks']),
  runs: z.number().int(),
  seed: z.number().int(),
  blockBars: z.number().int().nullable(),
  ruinDrawdownPct: z.number(),
  /** the rest once completed */
  finalReturnPct: ZBand.optional(),
  maxDrawdownPct: ZBand.optional(),
  ruinProbability: z.number().optional(),
  bands: z
    .array(z.object({ x: z.number().int(), time: z.number().optional(), p5: z.number(), p50: z.number(), p95: z.number(), original: z.number() }))
    .optional(),
  distributions: z.object({ finalReturnPct: ZBins, maxDrawdownPct: ZBins }).optional(),
  original: z.object({ finalReturnPct: z.number(), maxDrawdownPct: z.number() }).optional(),
});

// Significance ----------------------------------------------------------------------------------

export const ZCreatePermutationTestRequestSchema = z
  .object({
    runs: z
      .number({ error: 'must be a number' })
      .int({ error: 'must be a whole number' })
      .min(1_000, { error: 'must be at least 1000' })
      .max(100_000, { error: 'must be at most 100000' })
      .default(1_000),
    seed: z
      .number({ error: 'must be a number' })
      .int({ error: 'must be a whole number' })
      .min(0, { error: 'must be from 0 to 4294967295' })
      .max(4_294_967_295, { error: 'must be from 0 to 4294967295' })
      .optional(),
  })
  .strict();

export const ZSignificanceResponseSchema = z.object({
  ...ZJobState,
  kind: z.enum(['permutation', 'deflated-sharpe']),
  subjectId: z.string(),
  runs: z.number().int().nullable(),
  seed: z.number().int().nullable(),
  /** permutation: {runs, meanTradePct, pValue, randomMeanTradePct}; deflated-sharpe: {deflatedSharpeRatio, expectedMaxSharpe, trials, …} */
  result: z.record(z.string(), z.unknown()).nullable(),
});

// Walk-forward -----------------------------------------------------------------------------------

const ZSpaceEntry = z.union(
  [
    z
      .object({
        min: z.number({ error: 'must be a number' }),
        max: z.number({ error: 'must be a number' }),
        step: z.number({ error: 'must be a number' }).positive({ error: 'must be greater than 0' }),
      })
      .strict(),
    z
      .array(z.union([z.number(), z.boolean(), safeText().max(100)]), { error: 'must be a list' })
      .min(1, { error: 'must not be empty' })
      .max(10_000),
  ],
  { error: 'must be {min, max, step} or a list of values' },
);

const ZFoldSpec = z.union(
  [
    z
      .number({ error: 'must be a number of folds or {inSampleDays, outOfSampleDays, stepDays}' })
      .int({ error: 'must be a whole number' })
      .min(1, { error: 'must be at least 1' })
      .max(MAX_WALK_FORWARD_FOLDS, { error: `must be at most ${MAX_WALK_FORWARD_FOLDS}` }),
    z
      .object({
        inSampleDays: z.number({ error: 'must be a number' }).positive({ error: 'must be greater than 0' }).max(36_500),
        outOfSampleDays: z.number({ error: 'must be a number' }).positive({ error: 'must be greater than 0' }).max(36_500),
        /** default: outOfSampleDays (out-of-sample windows back to back) */
        stepDays: z.number({ error: 'must be a number' }).positive({ error: 'must be greater than 0' }).max(36_500).optional(),
      })
      .strict(),
  ],
  { error: 'must be a number of folds or {inSampleDays, outOfSampleDays, stepDays}' },
);

export const ZCreateWalkForwardRequestSchema = ZRunSpecSchema.extend({
  folds: ZFoldSpec,
  anchored: z.boolean({ error: 'must be true or false' }).default(false),
  space: z
    .record(safeText(), ZSpaceEntry, { error: 'must be an object of parameter ranges or value lists' })
    .refine((r) => Object.keys(r).length >= 1, { error: 'name at least one parameter to search' })
    .refine((r) => Object.keys(r).length <= 6, { error: 'search at most 6 parameters at once' }),
  search: z
    .object({
      method: z.enum(['grid', 'random', 'tpe'], { error: 'must be grid, random or tpe' }),
      trials: z
        .number({ error: 'must be a number' })
        .int({ error: 'must be a whole number' })
        .min(1, { error: 'must be at least 1' })
        .max(MAX_WALK_FORWARD_TRIALS, { error: `must be at most ${MAX_WALK_FORWARD_TRIALS} per fold` })
        .optional(),
      seed: z
        .number({ error: 'must be a number' })
        .int({ error: 'must be a whole number' })
        .min(0, { error: 'must be from 0 to 4294967295' })
        .max(4_294_967_295, { error: 'must be from 0 to 4294967295' })
        .optional(),
    })
    .strict(),
  objective: z.enum(WALK_FORWARD_OBJECTIVES, { error: `must be one of ${WALK_FORWARD_OBJECTIVES.join(', ')}` }),
  /** k in totalReturnPct − k × maxDrawdownPct (objective returnMinusDrawdown) */
  drawdownWeight: z.number({ error: 'must be a number' }).min(0, { error: 'must be from 0 to 100' }).max(100, { error: 'must be from 0 to 100' }).default(1),
  minTrades: z.number({ error: 'must be a number' }).int({ error: 'must be a whole number' }).min(0).max(1_000_000).default(1),
})
  .strict()
  .superRefine(endAfterStart);

export { ZWalkForwardResponseSchema };
