import { randomBytes } from 'node:crypto';
import { and, asc, eq, inArray } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as schema from '@/db/schema';
import { equitySnapshots } from '@/db/schema';
import { createCcxtExchange } from '@/server/exchange/ccxt-adapter';
import { binanceApiUrls } from '@/server/testing/exchange/binance-test-server';
import { logger } from '@/server/logger';
import { createAccount, type ExchangeOption } from '@/server/services/accounts';
import { registerUser } from '@/server/services/auth/users';
import { parseMasterKey } from '@/server/services/crypto';
import type { PaperPriceSource } from '@/server/services/orders';
import { getPortfolio, type PortfolioDeps } from '@/server/services/portfolio';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { createEquitySnapshotLoop, slotOf, snapshotAllAccounts } from './equity-snapshots';

const MINUTE = 60_000;
const KEY = parseMasterKey(randomBytes(32).toString('base64'));
const EXCHANGES: ExchangeOption[] = [{ id: 'binance', name: 'Binance', requiredCredentials: ['apiKey', 'secret'], unsupportedCredentials: [] }];

let t: TestDatabase;
let now = Date.UTC(2025, 5, 2, 12, 0, 30);
let price = 200;
const feed: PaperPriceSource = { latest: async () => ({ price, timeMs: now, source: 'test feed' }), candlesSince: async () => [] };
const deps: PortfolioDeps = {
  prices: () => feed,
  clock: () => now,
  keys: [KEY],
  exchanges: () => EXCHANGES,
  // Every real account here is "down": nothing listens on port 9.
  connect: ({ exchangeId, accountId, credentials }) =>
    createCcxtExchange({
      exchangeId,
      accountId,
      credentials,
      timeoutMs: 500,
      rateLimit: { perSecond: 1000, perMinute: 100_000 },
      urls: binanceApiUrls('http://127.0.0.1:9'),
      retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
    }),
};

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.destroy());

const context = () => ({ database: t, workerId: 'test', logger, signal: new AbortController().signal });

it('two workers running the loop write one snapshot per account per grid slot, equal to the portfolio equity', async () => {
  const user = (await registerUser(t.db, { username: 'snap-loop', password: 'long enough pw' })).id;
  const a = (await createAccount(t.db, user, { name: 'a', exchange: 'paper', balances: { USDT: '1000', BTC: '1' } }, {}, deps)).id;
  const b = (await createAccount(t.db, user, { name: 'b', exchange: 'paper', balances: { USDT: '5' } }, {}, deps)).id;
  const down = (
    await createAccount(t.db, user, { name: 'down', exchange: 'binance', credentials: { apiKey: 'key-0123456789', secret: 'secret-0123456789' } }, {}, deps)
  ).id;

  // Two workers, each starting the loop (the first pass runs at start), then stopping.
  const loops = [
    createEquitySnapshotLoop({ intervalMs: MINUTE, clock: () => now, deps }),
    createEquitySnapshotLoop({ intervalMs: MINUTE, clock: () => now, deps }),
  ];
  const stops = await Promise.all(loops.map((loop) => loop.start(context())));
  await Promise.all(stops.map((stop) => stop()));

  const rows = await t.db.select().from(equitySnapshots).orderBy(asc(equitySnapshots.accountId));
  const slot = new Date(Date.UTC(2025, 5, 2, 12, 0)).toISOString();
  expect(rows.map((r) => [r.accountId, r.time.toISOString(), r.currency, r.equity]).sort(), 'one row per valued account, at 12:00:00, not at 12:00:30').toEqual(
    [
      [a, slot, 'USDT', '1200'],
      [b, slot, 'USDT', '5'],
    ].sort(),
  );
  expect(
    rows.every((r) => r.userId === user),
    "each row carries its account's owner",
  ).toBe(true);
  expect(
    rows.some((r) => r.accountId === down),
    'an unreachable account writes nothing (a gap, not a zero)',
  ).toBe(false);
  const portfolio = await getPortfolio(t.db, user, {}, deps);
  expect(portfolio.accounts.find((acc) => acc.accountId === a)?.equity, 'the snapshot is the equity the API shows').toBe('1200');

  const again = await snapshotAllAccounts(t.db, slotOf(now, MINUTE), { deps });
  expect(again, 'the slot is done: only the unreachable account is tried again').toMatchObject({ written: 0, skipped: 0, failed: 1 });

  now += MINUTE;
  price = 210;
  const racing = await Promise.all([snapshotAllAccounts(t.db, slotOf(now, MINUTE), { deps }), snapshotAllAccounts(t.db, slotOf(now, MINUTE), { deps })]);
  expect(racing[0].written + racing[1].written, 'two passes racing on the next slot: each row written once').toBe(2);
  expect(
    racing.map((pass) => pass.failed),
    'a lost race is not a failure; only the unreachable account fails',
  ).toEqual([1, 1]);
  const [latest] = await t.db.select().from(equitySnapshots).where(eq(equitySnapshots.accountId, a)).orderBy(asc(equitySnapshots.time)).offset(1);
  expect([latest?.time.toISOString(), latest?.equity]).toEqual([new Date(Date.UTC(2025, 5, 2, 12, 1)).toISOString(), '1210']);
});

it('slots are multiples of the interval since the epoch, so 00:00 UTC is always one', () => {
  expect(slotOf(Date.UTC(2025, 0, 1, 0, 0, 59), MINUTE)).toBe(Date.UTC(2025, 0, 1));
  expect(slotOf(Date.UTC(2025, 0, 1, 0, 4, 59), 5 * MINUTE)).toBe(Date.UTC(2025, 0, 1));
  expect(slotOf(Date.UTC(2025, 0, 1, 0, 5), 5 * MINUTE)).toBe(Date.UTC(2025, 0, 1, 0, 5));
});

it('a pass values many paper accounts in a few statements and one price per symbol, each equal to the equity the API shows', async () => {
  const user = (await registerUser(t.db, { username: 'snap-many', password: 'long enough pw' })).id;
  const ids: string[] = [];
  for (let i = 1; i <= 30; i++) {
    ids.push(
      (
        await createAccount(
          t.db,
          user,
          { name: `many ${i}`, exchange: 'paper', balances: { USDT: String(i * 10), BTC: String(i / 8), ...(i % 3 === 0 ? { ETH: '2.5' } : {}) } },
          {},
          deps,
        )
      ).id,
    );
  }
  let priceReads = 0;
  const counted: PortfolioDeps = { ...deps, prices: () => ({ ...feed, latest: async (symbol) => (priceReads++, feed.latest(symbol)) }) };
  let statements = 0;
  const client = postgres(t.url, { max: 1, onnotice: () => {}, debug: () => void statements++ });
  try {
    now = Date.UTC(2025, 7, 1, 9, 30, 10);
    price = 321.5;
    const pass = await snapshotAllAccounts(drizzle(client, { schema }), slotOf(now, MINUTE), { deps: counted });
    expect(pass.written, 'the 30 new accounts and the two paper accounts of the first test').toBe(32);
    expect(statements, 'a few statements for the whole pass (the one unreachable real account costs its own), not a few per account').toBeLessThanOrEqual(8);
    expect(priceReads, 'one mark per symbol for the pass: BTC/USDT and ETH/USDT').toBe(2);
  } finally {
    await client.end({ timeout: 5 });
  }
  const rows = await t.db
    .select()
    .from(equitySnapshots)
    .where(and(inArray(equitySnapshots.accountId, ids), eq(equitySnapshots.time, new Date(Date.UTC(2025, 7, 1, 9, 30)))));
  const portfolio = await getPortfolio(t.db, user, {}, deps);
  expect(rows).toHaveLength(30);
  for (const row of rows)
    expect(row.equity, 'the snapshot is the equity the API shows').toBe(portfolio.accounts.find((a) => a.accountId === row.accountId)?.equity);
  const third = ids[2]!;
  expect(rows.find((r) => r.accountId === third)?.equity, '30 USDT + 0.375 BTC × 321.5 + 2.5 ETH × 321.5').toBe('954.3125');
});
