import { randomBytes } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { createDatabase } from '@/db/client';
import * as schema from '@/db/schema';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fills, orders, paperBalances } from '@/db/schema';
import type { OhlcvRow } from '@/server/core/candles';
import { AppError } from '@/server/core/errors';
import { formatDecimal, mul, sub } from '@/server/core/money';
import { clearMarketCache } from '@/server/exchange/ccxt-adapter';
import { BinanceTestServer, faults } from '@/server/testing/exchange/binance-test-server';
import { TEST_EXCHANGES, testServerConnector } from '@/server/testing/exchange/connector';
import { createAccount, findOwnedAccount } from '@/server/services/accounts';
import { registerUser } from '@/server/services/auth/users';
import { parseMasterKey } from '@/server/services/crypto';
import { EVENTS_CHANNEL, type AppEvent } from '@/server/services/events';
import { codeOf } from '@/server/testing/errors';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { createDeployment, pauseDeployment } from '@/server/services/deployments/deployments';
import { claimDeployments } from '@/server/services/deployments/leases';
import { cancelOrder, executeOrder, getOrder, LeaseLostError, listOrders, placeOrder, recordFills, syncPaperOrders, type OrderDeps } from '.';
import type { PaperPriceSource } from './price-source';
import { createDeployableStrategy } from '@/server/testing/strategies/deployable';

const MINUTE = 60_000;
const T0 = Date.UTC(2025, 5, 1, 12, 0);
const KEY = parseMasterKey(randomBytes(32).toString('base64'));

let t: TestDatabase;
let server: BinanceTestServer;
let userId: string;
let otherUserId: string;

// A market we control: the latest price, and candles that close as the clock moves.
let now = T0;
let latestPrice = 100;
let candles: OhlcvRow[] = [];
const feed: PaperPriceSource = {
  latest: async () => ({ price: latestPrice, timeMs: now, source: 'test feed' }),
  candlesSince: async (_symbol, sinceMs, untilMs) => candles.filter((c) => c[0] >= sinceMs && c[0] + MINUTE <= untilMs),
};
const connect = testServerConnector(() => server);
const deps: OrderDeps = { prices: () => feed, clock: () => now, keys: [KEY], exchanges: () => TEST_EXCHANGES, connect };

async function newPaperAccount(name: string, balances: Record<string, string> = { USDT: '10000' }): Promise<string> {
  return (await createAccount(t.db, userId, { name, exchange: 'paper', balances, feeRate: '0.001', slippage: '0.0005' }, {}, deps)).id;
}

async function balanceOf(accountId: string, asset: string): Promise<{ free: string; used: string }> {
  const [row] = await t.db
    .select()
    .from(paperBalances)
    .where(and(eq(paperBalances.accountId, accountId), eq(paperBalances.asset, asset)));
  return { free: formatDecimal(row?.free ?? '0'), used: formatDecimal(row?.used ?? '0') };
}

beforeAll(async () => {
  t = await createTestDatabase();
  server = await new BinanceTestServer({ balances: { USDT: '10000', BTC: '1' } }).start();
  clearMarketCache();
  userId = (await registerUser(t.db, { username: 'trader-o', password: 'long enough pw' })).id;
  otherUserId = (await registerUser(t.db, { username: 'other-o', password: 'long enough pw' })).id;
});
afterAll(async () => {
  await server?.close();
  await t?.destroy();
});
beforeEach(() => {
  now = T0;
  latestPrice = 100;
  candles = [];
});

describe('paper market orders', () => {
  it('a buy fills at the next price plus slippage, pays the fee, and moves balances in the same transaction', async () => {
    const accountId = await newPaperAccount('market buy');
    const { order, created } = await placeOrder(t.db, userId, { accountId, symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: '1' }, deps);
    expect(created).toBe(true);
    expect(order.status, 'a market order fills at once').toBe('filled');
    expect(order.averagePrice, '100 × (1 + 0.0005)').toBe('100.05');
    expect(order.fees, 'fee = 0.001 × 100.05 × 1, in quote').toEqual({ USDT: '0.10005' });
    expect(order.clientOrderId, 'a manual clientOrderId').toMatch(/^cbm[0-9A-Z]{26}$/);
    expect(order.priceSource, 'the feed is recorded').toBe('test feed');
    expect(await balanceOf(accountId, 'USDT'), '10000 − 100.05 − 0.10005, nothing left reserved').toEqual({ free: '9899.84995', used: '0' });
    expect(await balanceOf(accountId, 'BTC'), 'the base received').toEqual({ free: '1', used: '0' });

    const detail = await getOrder(t.db, userId, order.id);
    expect(detail.fills, 'one fill with its trade id').toMatchObject([
      { quantity: '1', price: '100.05', fee: '0.10005', feeCurrency: 'USDT', liquidity: 'taker' },
    ]);
    expect(
      detail.events.map((e) => `${e.type}:${e.fromStatus ?? ''}>${e.toStatus}`),
      'every transition recorded',
    ).toEqual(['created:>new', 'sent_ack:new>open', 'fill:open>filled']);
  });

  it('a sell receives the price minus slippage, minus the fee', async () => {
    const accountId = await newPaperAccount('market sell', { USDT: '0', BTC: '2' });
    const { order } = await placeOrder(t.db, userId, { accountId, symbol: 'BTC/USDT', side: 'sell', type: 'market', quantity: '0.5' }, deps);
    expect(order.averagePrice, '100 × (1 − 0.0005)').toBe('99.95');
    expect(Math.abs(Number(order.fees.USDT) - 0.049975), 'fee ≈ 0.001 × 99.95 × 0.5 (the fill model computes it in float)').toBeLessThan(1e-15);
    expect(await balanceOf(accountId, 'USDT'), 'exactly the proceeds minus the recorded fee').toEqual({
      free: formatDecimal(sub(mul('0.5', order.averagePrice!), order.fees.USDT!)),
      used: '0',
    });
    expect(await balanceOf(accountId, 'BTC')).toEqual({ free: '1.5', used: '0' });
  });

  it('insufficient balance: the order is recorded as rejected and no balance moves', async () => {
    const accountId = await newPaperAccount('too poor', { USDT: '50' });
    const { order } = await placeOrder(t.db, userId, { accountId, symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: '1' }, deps);
    expect(order.status).toBe('rejected');
    expect(order.statusReason, 'says why, with the amounts').toMatch(/insufficient balance: the order needs 100\.150050* USDT, 50 USDT is free/);
    expect(await balanceOf(accountId, 'USDT'), 'untouched').toEqual({ free: '50', used: '0' });
    const sellTooMuch = await placeOrder(t.db, userId, { accountId, symbol: 'BTC/USDT', side: 'sell', type: 'market', quantity: '1' }, deps);
    expect(sellTooMuch.order.status, 'no BTC to sell').toBe('rejected');
  });
});

describe('paper limit orders', () => {
  it('a buy below the market rests with its funds reserved, ignores candles that do not reach it, fills when one crosses', async () => {
    const accountId = await newPaperAccount('limit rest');
    const { order } = await placeOrder(t.db, userId, { accountId, symbol: 'BTC/USDT', side: 'buy', type: 'limit', quantity: '2', price: '90' }, deps);
    expect(order.status, 'the price is above the limit: it rests').toBe('open');
    expect(await balanceOf(accountId, 'USDT'), '2 × 90 × 1.001 reserved').toEqual({ free: '9819.82', used: '180.18' });

    candles = [[T0, 100, 101, 95, 96, 10]];
    now = T0 + 2 * MINUTE;
    // The reconciler's paper pass matches resting orders (reading an order never writes: queries.ts).
    expect(await syncPaperOrders(t.db, userId, deps, accountId), 'nothing matched').toBe(0);
    expect((await getOrder(t.db, userId, order.id)).status, 'low 95 does not reach 90').toBe('open');

    candles.push([T0 + 2 * MINUTE, 93, 94, 89, 92, 10]);
    now = T0 + 4 * MINUTE;
    expect((await getOrder(t.db, userId, order.id)).status, 'reading an order never matches it').toBe('open');
    expect(await syncPaperOrders(t.db, userId, deps, accountId), 'one order matched').toBe(1);
    const [listed] = await listOrders(t.db, userId, { accountId });
    expect(listed?.status, 'low 89 crosses 90: filled').toBe('filled');
    expect(listed?.averagePrice, 'at min(open 93, limit 90)').toBe('90');
    expect(listed?.fees).toEqual({ USDT: '0.18' });
    expect(await balanceOf(accountId, 'USDT'), 'reservation released, 180 + 0.18 paid').toEqual({ free: '9819.82', used: '0' });
    expect(await balanceOf(accountId, 'BTC')).toEqual({ free: '2', used: '0' });
    const detail = await getOrder(t.db, userId, order.id);
    expect(detail.fills, 'filled once, as a maker').toMatchObject([{ price: '90', liquidity: 'maker' }]);
    expect(detail.events.map((e) => e.toStatus)).toEqual(['new', 'open', 'filled']);
  });

  it('a limit that the current price already crosses fills at once at the better price', async () => {
    const accountId = await newPaperAccount('limit cross');
    const { order } = await placeOrder(t.db, userId, { accountId, symbol: 'BTC/USDT', side: 'buy', type: 'limit', quantity: '1', price: '110' }, deps);
    expect(order.status).toBe('filled');
    expect(order.averagePrice, 'price improvement: the market is 100').toBe('100');
    expect(await balanceOf(accountId, 'USDT'), '10000 − 100 − 0.1; the 110-based reservation is fully released').toEqual({ free: '9899.9', used: '0' });
  });

  it('cancel releases the reservation; canceling again is a conflict', async () => {
    const accountId = await newPaperAccount('limit cancel', { USDT: '0', BTC: '1' });
    const { order } = await placeOrder(t.db, userId, { accountId, symbol: 'BTC/USDT', side: 'sell', type: 'limit', quantity: '1', price: '150' }, deps);
    expect(await balanceOf(accountId, 'BTC'), 'a sell reserves base').toEqual({ free: '0', used: '1' });
    const canceled = await cancelOrder(t.db, userId, order.id, deps);
    expect(canceled.status).toBe('canceled');
    expect(canceled.cancelRequestedAt, 'the request time is kept').not.toBeNull();
    expect(await balanceOf(accountId, 'BTC'), 'released').toEqual({ free: '1', used: '0' });
    expect(await codeOf(cancelOrder(t.db, userId, order.id, deps)), 'a canceled order cannot be canceled again').toBe('CONFLICT');
    candles = [[T0, 160, 170, 150, 160, 1]];
    now = T0 + 2 * MINUTE;
    expect(await syncPaperOrders(t.db, userId, deps, accountId), 'a canceled order is not matched').toBe(0);
    expect((await getOrder(t.db, userId, order.id)).status, 'a canceled order never fills').toBe('canceled');
  });
});

describe('idempotency and fills applied once', () => {
  it('the same clientOrderId returns the stored order and never places a second one', async () => {
    const accountId = await newPaperAccount('idempotent');
    const input = { accountId, symbol: 'BTC/USDT', side: 'buy' as const, type: 'market' as const, quantity: '1', clientOrderId: 'cbmRETRY0001' };
    const first = await placeOrder(t.db, userId, input, deps);
    latestPrice = 120;
    const second = await placeOrder(t.db, userId, input, deps);
    expect(second.created, 'a retry, not a new order').toBe(false);
    expect(second.order.id).toBe(first.order.id);
    const rows = await t.db.select().from(orders).where(eq(orders.accountId, accountId));
    expect(rows.length, 'exactly one order row').toBe(1);
    expect(await balanceOf(accountId, 'USDT'), 'paid once, at the first price').toEqual({ free: '9899.84995', used: '0' });
    expect(await codeOf(placeOrder(t.db, userId, { ...input, quantity: '2' }, deps)), 'the id reused for a different order').toBe('CONFLICT');
  });

  it('a fill reported twice is applied once', async () => {
    const accountId = await newPaperAccount('dup fill');
    const { order } = await placeOrder(t.db, userId, { accountId, symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: '1' }, deps);
    const detail = await getOrder(t.db, userId, order.id);
    const result = await recordFills(t.db, order.id, [
      { tradeId: detail.fills[0]!.tradeId, quantity: '1', price: '100.05', fee: { cost: '0.10005', currency: 'USDT' } },
    ]);
    expect(result, 'a no-op').toMatchObject({ applied: 0, duplicates: 1 });
    const stored = await t.db.select().from(fills).where(eq(fills.orderId, order.id));
    expect(stored.length, 'still one fill row').toBe(1);
    expect(result.order.filledQuantity, 'still 1').toBe('1');
  });
});

describe('executeOrder: the one way to execute an order', () => {
  it("inside the caller's transaction: the order with its fills, its one event handed to the caller, all rolled back with it", async () => {
    const accountId = await newPaperAccount('in a caller transaction');
    const account = await findOwnedAccount(t.db, userId, accountId);
    const handed: AppEvent[] = [];
    const input = { accountId, symbol: 'BTC/USDT', side: 'buy' as const, type: 'market' as const, quantity: '1', clientOrderId: 'cbmINTX0001' };
    await expect(
      t.db.transaction(async (tx) => {
        const executed = await executeOrder(t.db, userId, account, input, { tx, announce: (event) => handed.push(event), deps });
        expect(executed).toMatchObject({ created: true, order: { status: 'filled', clientOrderId: 'cbmINTX0001' } });
        expect(
          executed!.fills.map((f) => [Number(f.quantity), Number(f.price), Number(f.fee), f.feeCurrency]),
          'its fill, at 100 plus slippage',
        ).toEqual([[1, 100.05, 0.10005, 'USDT']]);
        throw new Error('the caller rolls back');
      }),
    ).rejects.toThrow('the caller rolls back');
    expect(
      handed.map((e) => ('status' in e ? [e.kind, e.status] : [e.kind])),
      'one event, handed to the caller to send at its commit',
    ).toEqual([['order', 'filled']]);
    expect(await t.db.select().from(orders).where(eq(orders.accountId, accountId)), 'nothing kept: the order was part of the caller transaction').toEqual([]);
    expect(await balanceOf(accountId, 'USDT'), 'no balance moved').toEqual({ free: '10000', used: '0' });
  });

  it('a retry returns the stored order with its stored fills', async () => {
    const accountId = await newPaperAccount('retry with fills');
    const account = await findOwnedAccount(t.db, userId, accountId);
    const input = { accountId, symbol: 'BTC/USDT', side: 'buy' as const, type: 'market' as const, quantity: '1', clientOrderId: 'cbmRETRYFILLS' };
    const first = await executeOrder(t.db, userId, account, input, { deps });
    latestPrice = 120;
    const again = await executeOrder(t.db, userId, account, input, { deps });
    expect([again!.created, again!.order.id]).toEqual([false, first!.order.id]);
    expect(
      again!.fills.map((f) => [Number(f.quantity), Number(f.price), f.feeCurrency]),
      'the fill of the first call, read back',
    ).toEqual([[1, 100.05, 'USDT']]);
  });
});

describe('real exchange orders through the local Binance server', () => {
  it('an accepted answer that is lost leaves the order unknown, and a retry does not resend it', async () => {
    const account = await createAccount(
      t.db,
      userId,
      { name: 'binance ambiguous', exchange: 'binance', credentials: { apiKey: server.apiKey, secret: server.secret } },
      {},
      deps,
    );
    await connect({ exchangeId: 'binance', accountId: account.id, credentials: { apiKey: server.apiKey, secret: server.secret } }).loadMarkets();
    server.failNext({ method: 'POST', path: '/api/v3/order' }, faults.timeoutAfterAccept());
    const input = {
      accountId: account.id,
      symbol: 'BTC/USDT',
      side: 'buy' as const,
      type: 'limit' as const,
      quantity: '0.001',
      price: '20000',
      clientOrderId: 'cbmAMBIGUOUS01',
    };
    const first = await placeOrder(t.db, userId, input, deps);
    expect(first.order.status, 'the outcome is unknown, not rejected and not retried').toBe('unknown');
    expect(first.order.statusReason, 'says it was a timeout').toMatch(/timed out|timeout|RequestTimeout/i);
    expect(server.count('POST', '/api/v3/order'), 'sent once').toBe(1);
    expect(
      [...server.orders.values()].map((o) => o.clientOrderId),
      'the exchange did place it',
    ).toEqual(['cbmAMBIGUOUS01']);

    const retry = await placeOrder(t.db, userId, input, deps);
    expect(retry, 'the stored order comes back').toMatchObject({ created: false, order: { id: first.order.id, status: 'unknown' } });
    expect(server.count('POST', '/api/v3/order'), 'never re-sent').toBe(1);
    const detail = await getOrder(t.db, userId, first.order.id);
    expect(detail.events.map((e) => `${e.type}>${e.toStatus}`)).toEqual(['created>new', 'send_ambiguous>unknown']);

    const trade = { tradeId: '777', quantity: '0.001', price: '20000', fee: { cost: '0.00000100', currency: 'BTC' } };
    expect((await recordFills(t.db, first.order.id, [trade])).applied, 'a reconciled trade applies while unknown').toBe(1);
    const again = await recordFills(t.db, first.order.id, [trade]);
    expect(again, 'and only once').toMatchObject({ applied: 0, duplicates: 1 });
    expect(again.order.status, 'fills keep it unknown until reconciled').toBe('unknown');
  });

  it('a definite refusal (insufficient balance) is recorded as rejected', async () => {
    const account = await createAccount(
      t.db,
      userId,
      { name: 'binance rejected', exchange: 'binance', credentials: { apiKey: server.apiKey, secret: server.secret } },
      {},
      deps,
    );
    server.failNext({ method: 'POST', path: '/api/v3/order' }, faults.insufficientBalance());
    const { order } = await placeOrder(
      t.db,
      userId,
      { accountId: account.id, symbol: 'BTC/USDT', side: 'buy', type: 'limit', quantity: '0.001', price: '20000' },
      deps,
    );
    expect(order.status).toBe('rejected');
    expect(order.statusReason).toMatch(/insufficient balance/i);
    expect(order.statusReason, 'no credential in the stored reason').not.toContain(server.secret);
  });

  it('an acknowledged order is open with the exchange id', async () => {
    const account = await createAccount(
      t.db,
      userId,
      { name: 'binance ok', exchange: 'binance', credentials: { apiKey: server.apiKey, secret: server.secret } },
      {},
      deps,
    );
    const { order } = await placeOrder(
      t.db,
      userId,
      { accountId: account.id, symbol: 'BTC/USDT', side: 'buy', type: 'limit', quantity: '0.001', price: '20000' },
      deps,
    );
    expect(order.status).toBe('open');
    expect(order.exchangeOrderId, "Binance's order id").toMatch(/^\d+$/);
  });
});

describe('validation and ownership', () => {
  it('names the bad field', async () => {
    const accountId = await newPaperAccount('validation');
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ type: 'limit' }, 'price'],
      [{ type: 'market', price: '1' }, 'price'],
      [{ type: 'stop_limit', price: '1' }, 'stopPrice'],
      [{ type: 'market', clientOrderId: 'has spaces!' }, 'clientOrderId'],
    ];
    for (const [override, field] of cases) {
      try {
        await placeOrder(t.db, userId, { accountId, symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: '1', ...override } as never, deps);
        expect.unreachable(`${JSON.stringify(override)} must be refused`);
      } catch (error) {
        expect((error as AppError).details?.fields?.[0]?.field, JSON.stringify(override)).toBe(field);
      }
    }
  });

  it("another user's account and orders are not found", async () => {
    const accountId = await newPaperAccount('owned');
    const { order } = await placeOrder(t.db, userId, { accountId, symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: '0.1' }, deps);
    expect(await codeOf(placeOrder(t.db, otherUserId, { accountId, symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: '0.1' }, deps))).toBe(
      'NOT_FOUND',
    );
    expect(await codeOf(getOrder(t.db, otherUserId, order.id))).toBe('NOT_FOUND');
    expect(await codeOf(cancelOrder(t.db, otherUserId, order.id, deps))).toBe('NOT_FOUND');
    expect(await listOrders(t.db, otherUserId, {}), 'nothing listed').toEqual([]);
  });
});

describe('live updates', () => {
  it('placing, filling and canceling manual orders notify the owner (events.stream), after the commit', async () => {
    const received: Array<{ kind: string; userId: string; orderId: string; status: string }> = [];
    const listener = await t.sql.listen(EVENTS_CHANNEL, (payload) => {
      const event = JSON.parse(payload) as (typeof received)[number];
      if (event.kind === 'order') received.push(event);
    });
    try {
      const accountId = await newPaperAccount('notify');
      const market = await placeOrder(t.db, userId, { accountId, symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: '1' }, deps);
      const resting = await placeOrder(t.db, userId, { accountId, symbol: 'BTC/USDT', side: 'buy', type: 'limit', quantity: '1', price: '50' }, deps);
      await cancelOrder(t.db, userId, resting.order.id, deps);
      await expect
        .poll(() => received.map((e) => `${e.orderId === market.order.id ? 'market' : 'limit'} ${e.status}`))
        .toEqual(['market filled', 'limit open', 'limit canceled']);
      expect(received.every((e) => e.userId === userId)).toBe(true);
    } finally {
      await listener.unlisten();
    }
  });
});

describe('the paper order path: two round trips (docs/orders.md)', () => {
  /** A database over ONE connection that records the statements it sends. */
  function recordingDatabase() {
    const sent: string[] = [];
    const client = postgres(t.url, {
      max: 1,
      onnotice: () => {},
      debug: (_connection, query) => void sent.push(query.trim().split(/\s+/).slice(0, 3).join(' ').toLowerCase()),
    });
    return { db: drizzle(client, { schema }), sent, close: () => client.end({ timeout: 5 }) };
  }

  it('once both balance rows exist, an order is BEGIN + insert, then outcome + notification + COMMIT, and books what the general path books', async () => {
    const accountId = await newPaperAccount('pipelined', { USDT: '10000', BTC: '0' });
    const recording = recordingDatabase();
    try {
      // Warm the connection's prepared statements, so the count below is the steady state.
      await placeOrder(recording.db, userId, { accountId, symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: '1' }, deps);
      recording.sent.length = 0;
      latestPrice = 200;
      const { order } = await placeOrder(
        recording.db,
        userId,
        { accountId, symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: '2', clientOrderId: 'pipe1' },
        deps,
      );
      const sent = recording.sent.filter((q) => !q.startsWith('select "exchange_accounts"') && !q.startsWith('select "id", "user_id"'));
      expect(
        sent.map((q) => q.split(' ')[0]),
        'the account lookup aside: begin, the insert (a with … statement), the outcome, the notification (with its outbox rows, a with … statement), commit',
      ).toEqual(['begin', 'with', 'with', 'with', 'commit']);
      expect(order.status).toBe('filled');
      expect(order.averagePrice, '200 × 1.0005').toBe('200.1');
      expect(order.fees).toEqual({ USDT: '0.4002' });
      const detail = await getOrder(t.db, userId, order.id);
      expect(detail.events.map((e) => `${e.type}:${e.fromStatus ?? ''}→${e.toStatus}`)).toEqual(['created:→new', 'sent_ack:new→open', 'fill:open→filled']);
      expect(detail.fills).toMatchObject([
        { tradeId: `paper-${order.id}-1`, quantity: '2', price: '200.1', fee: '0.4002', feeCurrency: 'USDT', liquidity: 'taker' },
      ]);
      // 10000 − (100.05 + 0.10005) − (400.2 + 0.4002)
      expect(await balanceOf(accountId, 'USDT')).toEqual({ free: '9499.24975', used: '0' });
      expect(await balanceOf(accountId, 'BTC')).toEqual({ free: '3', used: '0' });
    } finally {
      await recording.close();
    }
  });

  it('a statement that fails inside the pipelined transaction leaves nothing behind, and the connection is usable after it', async () => {
    const accountId = await newPaperAccount('fails midway', { USDT: '10000', BTC: '0' });
    const single = createDatabase(t.url, { max: 1, applicationName: 'cryptobot-test-single' });
    await t.db.execute(
      sql`create function fail_boom() returns trigger language plpgsql as $$ begin if new.details->>'clientOrderId' = 'boom1' then raise exception 'injected failure'; end if; return new; end $$`,
    );
    await t.db.execute(sql`create trigger fail_boom before insert on order_events for each row execute function fail_boom()`);
    try {
      await placeOrder(single.db, userId, { accountId, symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: '1', clientOrderId: 'warm1' }, deps);
      const before = await balanceOf(accountId, 'USDT');
      await expect(
        placeOrder(single.db, userId, { accountId, symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: '1', clientOrderId: 'boom1' }, deps),
      ).rejects.toThrow(/injected failure/);
      expect(
        await t.db
          .select()
          .from(orders)
          .where(and(eq(orders.accountId, accountId), eq(orders.clientOrderId, 'boom1'))),
        'the order row was rolled back',
      ).toEqual([]);
      expect(await balanceOf(accountId, 'USDT'), 'no balance moved').toEqual(before);
      // The one connection of that pool went back clean (not inside an aborted transaction): the next order works.
      const { order } = await placeOrder(
        single.db,
        userId,
        { accountId, symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: '1', clientOrderId: 'after1' },
        deps,
      );
      expect(order.status).toBe('filled');
      // The general path (a first order in ETH: its balance row is created) on a pool of ONE connection: the
      // pipelined attempt gives its connection back before the general path asks for one, so it cannot wait on itself.
      const eth = await placeOrder(
        single.db,
        userId,
        { accountId, symbol: 'ETH/USDT', side: 'buy', type: 'market', quantity: '1', clientOrderId: 'eth1' },
        deps,
      );
      expect(eth.order.status).toBe('filled');
      const retried = await placeOrder(
        single.db,
        userId,
        { accountId, symbol: 'ETH/USDT', side: 'buy', type: 'market', quantity: '1', clientOrderId: 'eth1' },
        deps,
      );
      expect([retried.created, retried.order.id], 'a retry on the same pool returns the stored order').toEqual([false, eth.order.id]);
    } finally {
      await t.db.execute(sql`drop trigger fail_boom on order_events`);
      await t.db.execute(sql`drop function fail_boom()`);
      await single.close();
    }
  });

  it("a deployment's order is written only under the deployment's current lease epoch", async () => {
    const accountId = await newPaperAccount('fenced', { USDT: '10000', BTC: '0' });
    const strategy = await createDeployableStrategy(t.db, userId, {
      name: 'fenced dca',
      type: 'dca',
      params: { intervalBars: 1, amountPerBuy: 10 },
      exchange: 'binance',
      symbol: 'BTC/USDT',
      timeframe: '1m',
    });
    const deployment = await createDeployment(t.db, userId, strategy.id, { accountId, mode: 'paper', feed: { type: 'simulated' } });
    const claimed = (await claimDeployments(t.db, 'fence-test', 100, 60_000)).find((c) => c.id === deployment.id)!;
    const epoch = Number(claimed.lease_epoch);
    const order = (clientOrderId: string, fenceEpoch: number) =>
      placeOrder(
        t.db,
        userId,
        { accountId, symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: '1', clientOrderId, deploymentId: deployment.id, fenceEpoch },
        deps,
      );
    await order('warm2', epoch);
    await expect(order('stale1', epoch - 1), 'an older epoch: another worker holds it now').rejects.toBeInstanceOf(LeaseLostError);
    await pauseDeployment(t.db, userId, deployment.id);
    await expect(order('paused1', epoch), 'the epoch is right but the deployment is paused').rejects.toBeInstanceOf(LeaseLostError);
    const written = await t.db.select({ clientOrderId: orders.clientOrderId }).from(orders).where(eq(orders.deploymentId, deployment.id));
    expect(written.map((r) => r.clientOrderId)).toEqual(['warm2']);
  });
});
