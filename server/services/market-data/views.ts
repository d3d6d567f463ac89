import { z } from 'zod';
import { zTimeOutput } from '@/server/core/time-output';
import { JOB_STATUSES } from '@/db/schema/jobs';

/** A candle import as its user sees it: one declaration (re-exported by server/api/schemas/market-data.ts). */
export const ZImportResultSchema = z.object({
  inserted: z.number(),
  updated: z.number(),
  unchanged: z.number(),
  /** Candles the exchange returned in range. */
  fetched: z.number(),
  /** Candles the exchange returned that failed validation (not stored). */
  rejected: z.number(),
  /** Missing candles the job set out to fetch (the exchange may not have them all). */
  missingBefore: z.number(),
});
export type ImportResult = z.infer<typeof ZImportResultSchema>;

export const ZImportResponseSchema = z.object({
  id: z.string().uuid(),
  status: z.enum(JOB_STATUSES),
  exchange: z.string(),
  symbol: z.string(),
  timeframe: z.string(),
  startMs: z.number(),
  endMs: z.number(),
  /** 0..1 */
  progress: z.number(),
  progressMessage: z.string().nullable(),
  /** A cancel was asked for while it runs: it stops after the page it is storing. */
  cancelRequested: z.boolean(),
  result: ZImportResultSchema.nullable(),
  error: z.string().nullable(),
  createdAt: zTimeOutput(),
  finishedAt: zTimeOutput().nullable(),
  /** This request joined an import of the same series and range that was already queued or running. */
  joined: z.boolean(),
});
export type ImportView = z.infer<typeof ZImportResponseSchema>;
