import { z } from 'zod';
import {
  CANDLE_PAGE_SIZE,
  ZCandlesPageResponseSchema,
  ZCandlesQuerySchema,
  ZMarketChartQuerySchema,
  ZCandlesUpsertRequestSchema,
  ZCandlesUpsertResponseSchema,
  ZCoverageQuerySchema,
  ZExchangeId,
  ZCoverageResponseSchema,
  ZDeleteSeriesRequestSchema,
  ZDeleteSeriesResponseSchema,
  ZFileImportRequestSchema,
  ZFileImportResponseSchema,
  ZImportIdSchema,
  ZImportRequestSchema,
  ZImportResponseSchema,
  ZMarketSnapshotRequestSchema,
  type CandlesQuery,
} from '@/server/api/schemas/market-data';
import { adminProcedure, createTRPCRouter, protectedProcedure } from '@/server/api/trpc';
import type { DbOrTx } from '@/db/client';
import { readCandlePage } from '@/server/services/market-data/candles';
import { getMarketChartWindow } from '@/server/services/market-data/market-chart';
import { ZChartWindowSchema } from '@/server/api/schemas/backtests';
import { readCoverage } from '@/server/services/market-data/coverage';
import { enabledExchanges } from '@/server/services/market-data/exchange';
import { importCandleFile, ingestCandleRows } from '@/server/services/market-data/ingest';
import { cancelImport, getImport, listImports, startImport } from '@/server/services/market-data/imports';
import { getMarketSnapshot, listExchangeSymbols } from '@/server/services/market-data/market-view';
import { SIMULATED_EXCHANGE } from '@/server/services/market-data/series-key';
import { markPrice } from '@/server/services/orders';
import { deleteSeries } from '@/server/services/market-data/series';

/** One page of candles for a validated query (shared by REST and tRPC). */
export async function candlesPage(db: DbOrTx, query: CandlesQuery) {
  const start = Math.max(query.start ?? 0, query.cursor !== undefined ? Number(query.cursor) : 0);
  const page = await readCandlePage(db, query, start, query.end ?? Number.MAX_SAFE_INTEGER, query.limit ?? CANDLE_PAGE_SIZE);
  return { candles: page.candles, ...(page.nextTimeMs !== null ? { next: String(page.nextTimeMs) } : {}) };
}

export const marketDataRouter = createTRPCRouter({
  /** Exchanges the pages offer: the enabled ones (default first), plus "simulated". */
  options: protectedProcedure.output(z.object({ defaultExchange: z.string(), exchanges: z.array(z.string()), simulatedExchange: z.string() })).query(() => {
    const { defaultExchange, exchanges } = enabledExchanges();
    return { defaultExchange, exchanges: [...exchanges, SIMULATED_EXCHANGE], simulatedExchange: SIMULATED_EXCHANGE };
  }),

  candles: protectedProcedure
    .input(ZCandlesQuerySchema)
    .output(ZCandlesPageResponseSchema)
    .query(({ ctx, input }) => candlesPage(ctx.db, input)),

  /** A window of a market's candles (stored, else its latest from the exchange or the simulated market): GET /api/v1/market-data/chart */
  chart: protectedProcedure
    .input(ZMarketChartQuerySchema)
    .output(ZChartWindowSchema)
    .query(({ ctx, input }) => {
      const { exchange, symbol, timeframe, ...window } = input;
      return getMarketChartWindow(ctx.db, { exchange, symbol, timeframe }, window);
    }),

  upsertCandles: adminProcedure
    .input(ZCandlesUpsertRequestSchema)
    .output(ZCandlesUpsertResponseSchema)
    .mutation(({ ctx, input }) => ingestCandleRows(ctx.db, input, input.candles)),

  coverage: protectedProcedure
    .input(ZCoverageQuerySchema.optional())
    .output(ZCoverageResponseSchema)
    .query(async ({ ctx, input }) => ({ series: await readCoverage(ctx.db, input ?? {}) })),

  importFile: adminProcedure
    .input(ZFileImportRequestSchema)
    .output(ZFileImportResponseSchema)
    .mutation(({ ctx, input }) => importCandleFile(ctx.db, input, input.content, { confirm: input.confirm, userId: ctx.user.id, ip: ctx.ip })),

  /** Admins: deletes every candle of a series (audited). */
  deleteSeries: adminProcedure
    .input(ZDeleteSeriesRequestSchema)
    .output(ZDeleteSeriesResponseSchema)
    .mutation(({ ctx, input }) => deleteSeries(ctx.db, ctx.user, input, { ip: ctx.ip })),

  /** Any user: candles are shared; a request joins a running import of the same range; throttled per user. */
  startImport: protectedProcedure
    .input(ZImportRequestSchema)
    .output(ZImportResponseSchema)
    .mutation(({ ctx, input }) =>
      startImport(ctx.db, ctx.user.id, { exchange: input.exchange, symbol: input.symbol, timeframe: input.timeframe, startMs: input.start, endMs: input.end }),
    ),

  import: protectedProcedure
    .input(ZImportIdSchema)
    .output(ZImportResponseSchema)
    .query(({ ctx, input }) => getImport(ctx.db, input.id)),

  imports: protectedProcedure.output(z.array(ZImportResponseSchema)).query(({ ctx }) => listImports(ctx.db, ctx.user.id)),

  /** Cancels one of your queued or running imports (CONFLICT once it finished); what it stored stays. */
  cancelImport: protectedProcedure
    .input(ZImportIdSchema)
    .output(ZImportResponseSchema)
    .mutation(({ ctx, input }) => cancelImport(ctx.db, input.id, ctx.user.id)),

  /** The chart, ticker and book of one series, with the market's mark: the price the ticket and the portfolio use. */
  snapshot: protectedProcedure.input(ZMarketSnapshotRequestSchema).query(async ({ ctx, input }) => {
    const mark = await markPrice(ctx.db, input.symbol);
    const snapshot = await getMarketSnapshot(ctx.db, input, Date.now(), mark ? { markPrice: Number(mark.price) } : {});
    return { ...snapshot, mark };
  }),
  /** The symbols an exchange lists, for pickers (empty with available: false when it cannot be asked). */
  exchangeSymbols: protectedProcedure
    .input(z.object({ exchange: ZExchangeId }).strict())
    .output(z.object({ exchange: z.string(), symbols: z.array(z.string()), available: z.boolean() }))
    .query(({ input }) => listExchangeSymbols(input.exchange)),
});
