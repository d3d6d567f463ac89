import { parseInput, readJson, reply, searchParams, withUser } from '@/server/api/rest';
import { candlesPage } from '@/server/api/routers/market-data';
import {
  ZCandlesPageResponseSchema,
  ZCandlesQuerySchema,
  ZCandlesUpsertRequestSchema,
  ZCandlesUpsertResponseSchema,
  ZDeleteSeriesRequestSchema,
  ZDeleteSeriesResponseSchema,
} from '@/server/api/schemas/market-data';
import { ingestCandleRows } from '@/server/services/market-data/ingest';
import { deleteSeries } from '@/server/services/market-data/series';

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

// DELETE /api/v1/market-data/candles?exchange=&symbol=&timeframe= – delete a whole series (admins; audited); 404 when none is stored
export const DELETE = withUser(
  async ({ db, req, user, ip }) =>
    reply(ZDeleteSeriesResponseSchema, await deleteSeries(db, user, parseInput(ZDeleteSeriesRequestSchema, searchParams(req)), { ip })),
  { admin: true },
);
