import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { getDatabase } from '@/db/client';
import { auditEvents } from '@/db/schema';
import { getEnv } from '@/server/env';
import { appRouter } from '@/server/api/root';
import { createCallerFactory } from '@/server/api/trpc';
import { issueTokenPair } from '@/server/services/auth/tokens';
import { findUserById, registerUser } from '@/server/services/auth/users';
import { upsertCandles } from '@/server/services/market-data/candles';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { fixtureRows } from '@/server/testing/fixtures';
import { POST as trpcPost } from '../../trpc/[trpc]/route';
import { POST as createStrategy } from '../strategies/route';
import { DELETE as deleteCandles } from './candles/route';
import { POST as uploadFile } from './files/route';
import { GET as getImportById } from './imports/[id]/route';
import { POST as startImport } from './imports/route';

/**
 * The first-run and data-hygiene rules over REST and tRPC (issue #13 items 3 and 4): timeframes are a
 * closed list, any user may import from an exchange, uploads ask for confirmation, admins delete series.
 */
let t: TestDatabase;
let admin: { id: string; token: string };
let user: { id: string; token: string };

beforeAll(async () => {
  t = await createTestDatabase();
  process.env.DATABASE_URL = t.url;
  const make = async (username: string) => {
    const { id } = await registerUser(t.db, { username, password: 'long enough pw 1' });
    const found = (await findUserById(t.db, id))!;
    return { id, token: (await issueTokenPair(t.db, found, { secret: getEnv().NEXTAUTH_SECRET, refreshTokenTtlDays: 1 })).accessToken };
  };
  admin = await make('md-admin'); // the first account: admin
  user = await make('md-user');
});
afterAll(async () => {
  await getDatabase().close();
  await t.destroy();
});

const send = (method: string, path: string, token: string, body?: unknown) =>
  new Request(`http://localhost${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), 'x-forwarded-for': '198.51.100.3' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

const caller = (id: string, role: 'admin' | 'user') =>
  createCallerFactory(appRouter)({
    db: t.db,
    req: null,
    user: { id, username: 'x', role, sessionVersion: 0 },
    authMethod: 'bearer',
    scopes: role === 'admin' ? ['read', 'trade', 'admin'] : ['read', 'trade'],
    apiKey: null,
    authError: null,
    ip: null,
  });

interface ErrorBody {
  error: { message: string; details?: { fields?: Array<{ field: string; message: string }>; reason?: string } };
}

describe('timeframes are a closed list', () => {
  it('a strategy with timeframe 7h is a 422 naming timeframe over REST and tRPC; 4h is accepted', async () => {
    const body = { name: 'seven hours', type: 'sma_crossover', exchange: 'binance', symbol: 'BTC/USDT', timeframe: '7h' };
    const rest = await createStrategy(send('POST', '/api/v1/strategies', user.token, body));
    expect(rest.status).toBe(422);
    expect(((await rest.json()) as ErrorBody).error.details?.fields).toEqual([
      { field: 'timeframe', message: expect.stringMatching(/must be one of 1m, .*1w/) },
    ]);
    // tRPC's convention for input errors (docs: security.fuzz.spec): 400 with data.appCode UNPROCESSABLE and the same fields.
    const overTrpc = await trpcPost(send('POST', '/api/trpc/strategies.create', user.token, { json: body }));
    const answer = (await overTrpc.json()) as { error: { json: { data: { appCode: string; fields: Array<{ field: string }> } } } };
    expect(answer.error.json.data.appCode).toBe('UNPROCESSABLE');
    expect(answer.error.json.data.fields.map((f) => f.field)).toEqual(['timeframe']);
    const ok = await createStrategy(send('POST', '/api/v1/strategies', user.token, { ...body, timeframe: '4h' }));
    expect(ok.status).toBe(201);
  });
});

describe('exchange imports are open to every user; uploads stay with admins', () => {
  it('a non-admin queues an import (202) over REST and tRPC; a second request joins it; anyone can follow it', async () => {
    const body = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h', start: '2021-01-01', end: '2021-02-01' };
    const queued = await startImport(send('POST', '/api/v1/market-data/imports', user.token, body));
    expect(queued.status, 'candles are shared: any user may fetch them').toBe(202);
    const view = (await queued.json()) as { id: string; joined: boolean };
    expect(view.joined).toBe(false);
    const joined = await caller(admin.id, 'admin').marketData.startImport({ ...body, start: Date.UTC(2021, 0, 2), end: Date.UTC(2021, 0, 3) });
    expect(joined, 'deduplicated: the running import serves the second request').toMatchObject({ id: view.id, joined: true });
    const followed = await getImportById(send('GET', `/api/v1/market-data/imports/${view.id}`, admin.token), { params: Promise.resolve({ id: view.id }) });
    expect(followed.status).toBe(200);

    const upload = await uploadFile(
      send('POST', '/api/v1/market-data/files', user.token, { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h', content: '[[0,1,1,1,1,1]]' }),
    );
    expect(upload.status, 'file uploads stay admin-only').toBe(403);
  });
});

describe('an upload far from the stored price level needs confirm: true', () => {
  it('409 with a "confirm" reason, then 200 with confirm: true', async () => {
    const btc = fixtureRows('btc-usd-4h').filter((r) => r[0] >= Date.UTC(2021, 0, 1) && r[0] < Date.UTC(2021, 1, 1));
    await upsertCandles(t.db, { exchange: 'kraken', symbol: 'BTC/USDT', timeframe: '4h' }, btc);
    const sol = btc.map((r) => [r[0], r[1] / 300, r[2] / 300, r[3] / 300, r[4] / 300, r[5]]);
    const body = { exchange: 'kraken', symbol: 'BTC/USDT', timeframe: '4h', fileName: 'SOLUSDT-4h.json', content: JSON.stringify(sol) };
    const refused = await uploadFile(send('POST', '/api/v1/market-data/files', admin.token, body));
    expect(refused.status).toBe(409);
    const error = ((await refused.json()) as ErrorBody).error;
    expect(error.message).toMatch(/^confirm: /);
    expect(error.details?.reason).toBe('price_level');
    const confirmed = await uploadFile(send('POST', '/api/v1/market-data/files', admin.token, { ...body, confirm: true }));
    expect(confirmed.status).toBe(200);
  });
});

describe('admins delete a series', () => {
  it('DELETE /api/v1/market-data/candles: 403 for a user, 200 and audited for an admin, then 404', async () => {
    await upsertCandles(t.db, { exchange: 'coinbase', symbol: 'DEL/USD', timeframe: '1h' }, [[0, 1, 1, 1, 1, 1]]);
    const path = '/api/v1/market-data/candles?exchange=coinbase&symbol=DEL%2FUSD&timeframe=1h';
    expect((await deleteCandles(send('DELETE', path, user.token))).status).toBe(403);
    const deleted = await deleteCandles(send('DELETE', path, admin.token));
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({ exchange: 'coinbase', symbol: 'DEL/USD', timeframe: '1h', deleted: 1 });
    const [event] = await t.db.select().from(auditEvents).where(eq(auditEvents.type, 'market_data.series_deleted'));
    expect(event).toMatchObject({ userId: admin.id, ip: '198.51.100.3' });
    expect((await deleteCandles(send('DELETE', path, admin.token))).status).toBe(404);
    await expect(caller(user.id, 'user').marketData.deleteSeries({ exchange: 'coinbase', symbol: 'DEL/USD', timeframe: '1h' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
  });
});
