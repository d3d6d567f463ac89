import { z } from 'zod';
import { jsonValue, multilineText, safeText } from '@/server/core/text';
import { zTimeInput } from '@/server/core/time-input';
import { isTimeframe, TIMEFRAME_MESSAGE } from '@/server/core/timeframe';
import { MAX_CANDLES_PER_REQUEST } from '@/server/services/market-data/limits';
import { EXCHANGE_ID_PATTERN, SYMBOL_PATTERN } from '@/server/services/market-data/series-key';
import { ZImportResponseSchema } from '@/server/services/market-data/views';
import { windowBarsBounds } from '@/server/services/market-data/chart-window';

/** Shared by the REST handlers, the tRPC procedures and the pages. */

/** Candles per page of GET /api/v1/market-data/candles (and the most `limit` may ask for). */
export const CANDLE_PAGE_SIZE = 5_000;

export const ZExchangeId = safeText({ error: 'must be a string' }).regex(EXCHANGE_ID_PATTERN, {
  error: 'must be a ccxt exchange id such as "binance" (lowercase letters and digits)',
});
export const ZSymbol = safeText({ error: 'must be a string' }).regex(SYMBOL_PATTERN, { error: 'must be a symbol such as "BTC/USDT" (BASE/QUOTE, uppercase)' });
export const ZTimeframe = safeText({ error: 'must be a string' }).refine(isTimeframe, { error: TIMEFRAME_MESSAGE });

export const ZSeriesKeySchema = z.object({ exchange: ZExchangeId, symbol: ZSymbol, timeframe: ZTimeframe });

/**
 * A time as ms since epoch (number or digit string) or an ISO 8601 date/time (no zone = UTC), to ms.
 * Query strings carry text, so both forms are accepted everywhere.
 */
export const ZTimeInput = zTimeInput({ message: 'must be a time: ms since epoch or ISO 8601 (e.g. 2024-01-01T00:00:00Z)' });

// POST candles ------------------------------------------------------------------------------------

/** Rows are judged one by one by the service (bad rows are reported, not fatal), so any JSON is let through here. */
export const ZCandlesUpsertRequestSchema = ZSeriesKeySchema.extend({
  candles: z
    .array(jsonValue(), { error: 'must be an array of [timeMs, open, high, low, close, volume]' })
    .max(MAX_CANDLES_PER_REQUEST, { error: `at most ${MAX_CANDLES_PER_REQUEST} candles per request; split them or import a file` }),
}).strict();

export const ZRejectedRowSchema = z.object({ index: z.number().int(), reason: z.string() });

export const ZCandlesUpsertResponseSchema = z.object({
  inserted: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  rejected: z.array(ZRejectedRowSchema),
});

// GET candles -------------------------------------------------------------------------------------

export const ZCandlesQuerySchema = ZSeriesKeySchema.extend({
  /** Inclusive; default: the beginning. */
  start: ZTimeInput.optional(),
  /** Exclusive; default: no end. */
  end: ZTimeInput.optional(),
  /** `next` from the previous page. */
  cursor: safeText()
    .regex(/^\d{1,16}$/, { error: 'must be the "next" value of a previous page' })
    .optional(),
  limit: z.coerce
    .number({ error: 'must be a number' })
    .int({ error: 'must be an integer' })
    .min(1, { error: 'must be at least 1' })
    .max(CANDLE_PAGE_SIZE, { error: `must be at most ${CANDLE_PAGE_SIZE}` })
    .optional(),
})
  .strict()
  .refine((q) => q.start === undefined || q.end === undefined || q.end > q.start, { error: 'must be after start', path: ['end'] });
export type CandlesQuery = z.infer<typeof ZCandlesQuerySchema>;

export const ZOhlcvRowSchema = z.tuple([z.number(), z.number(), z.number(), z.number(), z.number(), z.number()]);

export const ZCandlesPageResponseSchema = z.object({
  candles: z.array(ZOhlcvRowSchema),
  /** Pass as `cursor` (with the same other parameters) for the next page; absent on the last page. */
  next: z.string().optional(),
});

// Coverage ----------------------------------------------------------------------------------------

export const ZCoverageQuerySchema = z.object({ exchange: ZExchangeId.optional(), symbol: ZSymbol.optional(), timeframe: ZTimeframe.optional() }).strict();

export const ZGapSchema = z.object({ from: z.number(), to: z.number(), missing: z.number().int() });
export const ZSeriesCoverageSchema = z.object({
  exchange: z.string(),
  symbol: z.string(),
  timeframe: z.string(),
  firstMs: z.number(),
  lastMs: z.number(),
  count: z.number().int(),
  missing: z.number().int(),
  gapCount: z.number().int(),
  gaps: z.array(ZGapSchema),
});
export const ZCoverageResponseSchema = z.object({ series: z.array(ZSeriesCoverageSchema) });
export type SeriesCoverageView = z.infer<typeof ZSeriesCoverageSchema>;

// Imports -----------------------------------------------------------------------------------------

export const ZImportRequestSchema = ZSeriesKeySchema.extend({ start: ZTimeInput, end: ZTimeInput }).strict();

export const ZImportIdSchema = z.object({ id: z.string().uuid({ error: 'must be an import id (uuid)' }) }).strict();

// File upload -------------------------------------------------------------------------------------

export const ZFileImportRequestSchema = ZSeriesKeySchema.extend({
  fileName: safeText().max(300).optional(),
  /** The file's text: ccxt JSON arrays, objects JSON or CSV (see docs/market-data.md). */
  content: multilineText({ error: 'must be the file content as text' }).min(1, { error: 'is empty' }),
  /** Import even though the file does not look like the chosen series (the 409 "confirm" answer). */
  confirm: z.boolean({ error: 'must be true or false' }).optional(),
}).strict();

export const ZFileImportResponseSchema = ZCandlesUpsertResponseSchema.extend({
  format: z.enum(['ccxt-json', 'objects-json', 'csv']),
  accepted: z.number().int(),
  firstMs: z.number().nullable(),
  lastMs: z.number().nullable(),
  gaps: z.array(ZGapSchema),
});
export type FileImportResponse = z.infer<typeof ZFileImportResponseSchema>;

// Delete a series ---------------------------------------------------------------------------------

export const ZDeleteSeriesRequestSchema = ZSeriesKeySchema.strict();
export const ZDeleteSeriesResponseSchema = z.object({ exchange: z.string(), symbol: z.string(), timeframe: z.string(), deleted: z.number().int() });

// Markets page ------------------------------------------------------------------------------------

export const ZMarketSnapshotRequestSchema = ZSeriesKeySchema.extend({
  depth: z.number().int().min(5, { error: 'must be 5 to 50' }).max(50, { error: 'must be 5 to 50' }).default(20),
  limit: z.number().int().min(10).max(500).default(200),
}).strict();

export { ZImportResponseSchema };

// REST body around the import shape (tRPC answers the list as a bare array).
export const ZImportListResponseSchema = z.object({ imports: z.array(ZImportResponseSchema) });

/** The window fields of a chart query: from, to (ms or ISO 8601) and maxBars. */
export const ZChartWindowQueryFields = {
  from: ZTimeInput.optional(),
  to: ZTimeInput.optional(),
  maxBars: z.coerce
    .number({ error: 'must be a number' })
    .int({ error: 'must be an integer' })
    .min(windowBarsBounds.min, { error: `must be at least ${windowBarsBounds.min}` })
    .max(windowBarsBounds.max, { error: `must be at most ${windowBarsBounds.max}` })
    .optional(),
};

/** GET /api/v1/market-data/chart: a market's series and a chart window of it (docs/backtesting.md, "Chart windows"). */
export const ZMarketChartQuerySchema = ZSeriesKeySchema.extend(ZChartWindowQueryFields)
  .strict()
  .refine((q) => q.from === undefined || q.to === undefined || q.to > q.from, { error: 'must be after from', path: ['to'] });
