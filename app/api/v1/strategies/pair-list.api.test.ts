import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDatabase } from '@/db/client';
import { getEnv } from '@/server/env';
import { issueTokenPair } from '@/server/services/auth/tokens';
import { findUserById, registerUser } from '@/server/services/auth/users';
import { upsertCandles } from '@/server/services/market-data/candles';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { fixtureRows } from '@/server/testing/fixtures';
import { POST as trpcPost } from '../../trpc/[trpc]/route';
import { GET as getBacktest } from '../backtests/[id]/route';
import { POST as createBacktest } from '../backtests/route';
import { POST as createStrategy } from './route';

/** Pair lists over REST and tRPC (#16): the request shapes, the 422s naming the entry, a backtest stating its list. */
let t: TestDatabase;
let token: string;
const EXCHANGE = 'pairs_api';

beforeAll(async () => {
  t = await createTestDatabase();
  process.env.DATABASE_URL = t.url;
  const { id } = await registerUser(t.db, { username: 'pairs-api', password: 'long enough pw 1' });
  token = (await issueTokenPair(t.db, (await findUserById(t.db, id))!, { secret: getEnv().NEXTAUTH_SECRET, refreshTokenTtlDays: 1 })).accessToken;
  await upsertCandles(t.db, { exchange: EXCHANGE, symbol: 'BTC/USD', timeframe: '4h' }, fixtureRows('btc-usd-4h'));
  await upsertCandles(t.db, { exchange: EXCHANGE, symbol: 'ETH/USD', timeframe: '4h' }, fixtureRows('eth-usd-4h'));
});
afterAll(async () => {
  await getDatabase().close();
  await t.destroy();
});

const send = (method: string, path: string, body?: unknown) =>
  new Request(`http://localhost${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), 'x-forwarded-for': '198.51.100.7' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

interface ErrorBody {
  error: { details?: { fields?: Array<{ field: string; message: string }> } };
}

const base = { name: 'Two pairs', type: 'sma_crossover', exchange: EXCHANGE, timeframe: '4h' };
const fields = async (response: Response) => {
  expect(response.status).toBe(422);
  return ((await response.json()) as ErrorBody).error.details?.fields?.map((f) => f.field);
};

describe('pair lists over REST and tRPC', () => {
  it('creates a pair-list strategy and backtests it; the backtest states its list and rules', async () => {
    const capital = { maxOpenPositions: 1, stake: { type: 'fixed', quote: 1000 } };
    const created = await createStrategy(send('POST', '/api/v1/strategies', { ...base, symbols: ['BTC/USD', 'ETH/USD'], capital }));
    expect(created.status).toBe(201);
    const strategy = (await created.json()) as { id: string; symbols: string[]; capital: unknown };
    expect(strategy.symbols).toEqual(['BTC/USD', 'ETH/USD']);
    expect(strategy.capital).toEqual({ ...capital, priority: 'list' });
    const queued = await createBacktest(send('POST', '/api/v1/backtests', { strategyId: strategy.id, start: '2020-01-01', end: '2020-03-01' }));
    expect(queued.status).toBe(202);
    const { id } = (await queued.json()) as { id: string };
    const shown = (await (await getBacktest(send('GET', `/api/v1/backtests/${id}`), { params: Promise.resolve({ id }) })).json()) as Record<string, unknown>;
    expect([shown.symbols, shown.capital, shown.pairs], 'queued: the list and rules as run; no breakdown yet').toEqual([
      ['BTC/USD', 'ETH/USD'],
      { ...capital, priority: 'list' },
      null,
    ]);
  });

  it('answers a bad list or bad rules with a 422 naming the entry, over REST and tRPC', async () => {
    const rest = (body: object) => createStrategy(send('POST', '/api/v1/strategies', { ...base, ...body }));
    expect(await fields(await rest({ symbols: ['BTC/USD', 'ETH/USD', 'ETH/USD'] }))).toEqual(['symbols[2]']);
    expect(await fields(await rest({ symbols: ['BTC/USD', 'ETH/USD', 'SOL/USD'] })), 'an unknown market').toEqual(['symbols[2]']);
    expect(await fields(await rest({ symbols: ['BTC/USD'], capital: { stake: { type: 'pct_equity', pct: 150 } } }))).toEqual(['capital.stake.pct']);
    expect(await fields(await rest({ symbols: ['BTC/USD'], capital: { maxOpenPositions: 0 } }))).toEqual(['capital.maxOpenPositions']);
    expect(await fields(await rest({ symbol: 'BTC/USD', symbols: ['BTC/USD'] }))).toEqual(['symbols']);
    expect(await fields(await rest({ symbol: 'BTC/USD', capital: { maxOpenPositions: 1 } }))).toEqual(['capital']);
    expect(await fields(await rest({})), 'a market is required').toEqual(['symbol']);
    const overTrpc = await trpcPost(send('POST', '/api/trpc/strategies.create', { json: { ...base, symbols: ['BTC/USD', 'BTC/USD'] } }));
    const answer = (await overTrpc.json()) as { error: { json: { data: { appCode: string; fields: Array<{ field: string }> } } } };
    expect(answer.error.json.data.appCode).toBe('UNPROCESSABLE');
    expect(answer.error.json.data.fields.map((f) => f.field)).toEqual(['symbols[1]']);
  });
});
