import { z } from 'zod';
import { JOB_STATUSES } from '@/db/schema';
import { endAfterStart, ZTime } from '@/server/services/backtests/run-spec';

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
  strategyId: z.string(),
  strategyType: z.string(),
  exchange: z.string(),
  symbol: z.string(),
  timeframe: z.string(),
  start: z.string(),
  end: z.string(),
  bars: z.number().int().nullable(),
  settleBars: z.number().int().nullable(),
  lookahead: ZBiasFinding.nullable(),
  recursive: ZBiasFinding.nullable(),
});
