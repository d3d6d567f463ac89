import { parseInput, readJson, reply, searchParams, withUser } from '@/server/api/rest';
import { candlesPage } from '@/server/api/routers/market-data';
import { ZCandlesPageResponseSchema, ZCandlesQuerySchema, ZCandlesUpsertRequestSchema, ZCandlesUpsertResponseSchema } from '@/server/api/schemas/market-data';
import { ingestCandleRows } from '@/server/services/market-data/ingest';

// GET /api/v1/market-data/candles – one page of stored candles, ascending; `next` is the cursor of the next page
export const GET = withUser(async ({ db, req }) =>
  reply(ZCandlesPageResponseSchema, await candlesPage(db, parseInput(ZCandlesQuerySchema, searchParams(req)))),
);

// POST /api/v1/market-data/candles – store candles (admins: candles are shared); bad rows are reported, the rest stored
export const POST = withUser(
  async ({ db, req }) => {
    const input = await readJson(req, ZCandlesUpsertRequestSchema);
    return reply(ZCandlesUpsertResponseSchema, await ingestCandleRows(db, input, input.candles));
  },
  { admin: true, body: 'upload' },
);
