import { readJson, reply, withUser } from '@/server/api/rest';
import { ZImportListResponseSchema, ZImportRequestSchema, ZImportResponseSchema } from '@/server/api/schemas/market-data';
import { listImports, startImport } from '@/server/services/market-data/imports';

// GET /api/v1/market-data/imports – your recent exchange imports, newest first
export const GET = withUser(async ({ db, user }) => reply(ZImportListResponseSchema, { imports: await listImports(db, user.id) }));

// POST /api/v1/market-data/imports – queue an import from the exchange (any user; joins a running import of the same range; throttled per user)
export const POST = withUser(async ({ db, req, user }) => {
  const input = await readJson(req, ZImportRequestSchema);
  const view = await startImport(db, user.id, {
    exchange: input.exchange,
    symbol: input.symbol,
    timeframe: input.timeframe,
    startMs: input.start,
    endMs: input.end,
  });
  return reply(ZImportResponseSchema, view, 202, { Location: `/api/v1/market-data/imports/${view.id}` });
});
