import { readJson, reply, withUser } from '@/server/api/rest';
import { ZFileImportRequestSchema, ZFileImportResponseSchema } from '@/server/api/schemas/market-data';
import { importCandleFile } from '@/server/services/market-data/ingest';

// POST /api/v1/market-data/files – import a candle file (ccxt JSON, objects JSON or CSV) as text (admins); 409 "confirm" when it does not look like the series
export const POST = withUser(
  async ({ db, req, user, ip }) => {
    const input = await readJson(req, ZFileImportRequestSchema);
    return reply(ZFileImportResponseSchema, await importCandleFile(db, input, input.content, { confirm: input.confirm, userId: user.id, ip }));
  },
  { admin: true, body: 'upload' },
);
