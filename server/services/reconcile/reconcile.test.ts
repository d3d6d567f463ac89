import { randomBytes } from 'node:crypto';
import { and, asc, eq, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { alerts, exchangeAccounts, fills, orderEvents, orders } from '@/db/schema';
import { clearMarketCache } from '@/server/exchange/ccxt-adapter';
import { BinanceTestServer, faults } from '@/server/testing/exchange/binance-test-server';
import { TEST_EXCHANGES, testServerConnector } from '@/server/testing/exchange/connector';
import { createAccount } from '@/server/services/accounts';
import { registerUser } from '@/server/services/auth/users';
import { parseMasterKey } from '@/server/services/crypto';
import { EVENTS_CHANNEL } from '@/server/services/events';
import { getOrder, placeOrder, type PaperPriceSource, type PlaceOrderInput } from '@/server/services/orders';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { reconcileAccount, type ReconcileDeps } from './reconcile';

const KEY = parseMasterKey(randomBytes(32).toString('base64'));
const MINUTE = 60_000;

let t: TestDatabase;
let server: BinanceTestServer;
let userId: string;

const connect = testServerConnector(() => server);
const deps: ReconcileDeps = { keys: [KEY], exchanges: () => TEST_EXCHANGES, connect };
/** The same, two minutes later: past the grace periods for `new` orders and "not found". */
const later: ReconcileDeps = { ...deps, now: () => Date.now() + 2 * MINUTE };

let accountCounter = 0;
async function newBinanceAccount(): Promise<string> {
  accountCounter++;
  const account = await createAccount(
    t.db,
    userId,
    { name: `binance ${accountCounter}`, exchange: 'binance', credentials: { apiKey: server.apiKey, secret: server.secret } },
    {},
    deps,
  );
  return account.id;
}

const limitBuy = (accountId: string, clientOrderId: string, quantity = '0.002'): PlaceOrderInput => ({
  accountId,
  symbol: 'BTC/USDT',
  side: 'buy',
  type: 'limit',
  quantity,
  price: '20000',
  clientOrderId,
});

async function eventsOf(orderId: string): Promise<string[]> {
  const rows = await t.db.select().from(orderEvents).where(eq(orderEvents.orderId, orderId)).orderBy(asc(orderEvents.id));
  return rows.map((e) => `${e.type}:${e.fromStatus ?? ''}>${e.toStatus}`);
}

async function fillRows(orderId: string) {
  return t.db.select().from(fills).where(eq(fills.orderId, orderId)).orderBy(asc(fills.id));
}

async function orderRow(orderId: string) {
  const [row] = await t.db.select().from(orders).where(eq(orders.id, orderId));
  return row!;
}

async function alertsOf(accountId: string) {
  return t.db
    .select()
    .from(alerts)
    .where(and(eq(alerts.userId, userId), eq(alerts.accountId, accountId)))
    .orderBy(asc(alerts.id));
}

const onServer = (clientOrderId: string) => [...server.orders.values()].filter((o) => o.clientOrderId === clientOrderId);

beforeAll(async () => {
  t = await createTestDatabase();
  userId = (await registerUser(t.db, { username: 'reconcile-user', password: 'long enough pw' })).id;
});
afterAll(async () => {
  await t?.destroy();
});
// A server per test: open orders of one test must not look like someone else's orders to the next.
beforeEach(async () => {
  server = await new BinanceTestServer({ balances: { USDT: '100000', BTC: '10' } }).start();
  clearMarketCache();
});
afterEach(async () => {
  await server.close();
});

describe('exchange faults at createOrder end in the state the architecture gives them', () => {
  it('timeout after the exchange accepted it → unknown; reconcile → open, then fills applied once as the market trades through it', async () => {
    const accountId = await newBinanceAccount();
    server.failNext({ method: 'POST', path: '/api/v3/order' }, faults.timeoutAfterAccept());
    const { order } = await placeOrder(t.db, userId, limitBuy(accountId, 'cbTIMEOUT0001'), deps);
    expect(order.status, 'the answer was lost: ambiguous').toBe('unknown');
    expect(onServer('cbTIMEOUT0001').length, 'but the exchange has it').toBe(1);

    const first = await reconcileAccount(t.db, accountId, deps);
    expect(first).toMatchObject({ skipped: false, checked: 1, updated: 1, fillsApplied: 0, notFound: 0, external: [] });
    const opened = await orderRow(order.id);
    expect(opened.status, 'found resting on the book').toBe('open');
    expect(opened.exchangeOrderId, "the exchange's id is recorded").toBe(String(onServer('cbTIMEOUT0001')[0]!.orderId));

    const exchangeId = onServer('cbTIMEOUT0001')[0]!.orderId;
    server.fillOrder(exchangeId, '0.0005');
    const second = await reconcileAccount(t.db, accountId, deps);
    expect(second).toMatchObject({ checked: 1, updated: 1, fillsApplied: 1 });
    expect((await orderRow(order.id)).status).toBe('partially_filled');

    const eventsBefore = await eventsOf(order.id);
    const third = await reconcileAccount(t.db, accountId, deps);
    expect(third, 'nothing new on the exchange: nothing applied').toMatchObject({ checked: 1, updated: 0, fillsApplied: 0 });
    expect(await eventsOf(order.id), 'no event for an unchanged order').toEqual(eventsBefore);
    expect((await fillRows(order.id)).length, 'still one fill').toBe(1);

    server.fillOrder(exchangeId);
    expect(await reconcileAccount(t.db, accountId, deps)).toMatchObject({ updated: 1, fillsApplied: 1 });
    const filled = await orderRow(order.id);
    expect(filled.status).toBe('filled');
    expect(filled.filledQuantity).toBe('0.002');
    expect(filled.fees, 'maker fees of both trades, in base').toEqual({ BTC: '0.000002' });
    const stored = await fillRows(order.id);
    expect(
      stored.map((f) => [f.tradeId, f.quantity, f.liquidity]),
      "the exchange's trade ids, applied once",
    ).toEqual([
      [String(server.trades[0]!.id), '0.0005', 'maker'],
      [String(server.trades[1]!.id), '0.0015', 'maker'],
    ]);
    expect(await eventsOf(order.id)).toEqual([
      'created:>new',
      'send_ambiguous:new>unknown',
      'reconciled_open:unknown>open',
      'fill:open>partially_filled',
      'fill:partially_filled>filled',
    ]);
    expect(server.count('POST', '/api/v3/order'), 'never re-sent').toBe(1);
  });

  it('timeout after accept of an order that filled at once → unknown; reconcile applies its trade once and settles it filled', async () => {
    const accountId = await newBinanceAccount();
    server.failNext({ method: 'POST', path: '/api/v3/order' }, faults.timeoutAfterAccept());
    const { order } = await placeOrder(
      t.db,
      userId,
      { accountId, symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: '0.1', clientOrderId: 'cbTIMEOUTMKT01' },
      deps,
    );
    expect(order.status).toBe('unknown');

    expect(await reconcileAccount(t.db, accountId, deps)).toMatchObject({ checked: 1, updated: 1, fillsApplied: 1, notFound: 0 });
    const row = await orderRow(order.id);
    expect(row).toMatchObject({
      status: 'filled',
      filledQuantity: '0.1',
      averagePrice: '100',
      fees: { BTC: '0.0001' },
      exchangeOrderId: String(onServer('cbTIMEOUTMKT01')[0]!.orderId),
    });
    expect(await eventsOf(order.id)).toEqual(['created:>new', 'send_ambiguous:new>unknown', 'fill:unknown>unknown', 'reconciled_filled:unknown>filled']);

    const again = await reconcileAccount(t.db, accountId, deps);
    expect(again, 'a settled order is not looked up again').toMatchObject({ checked: 0, updated: 0, fillsApplied: 0 });
    expect(
      (await fillRows(order.id)).map((f) => f.tradeId),
      'one fill row',
    ).toEqual([String(server.trades[0]!.id)]);
    expect((await eventsOf(order.id)).length, 'no duplicate events').toBe(4);
    expect(server.count('POST', '/api/v3/order')).toBe(1);
  });

  it('5xx that the exchange answered without placing the order → unknown; "not found" only after the window → rejected; never re-sent', async () => {
    const accountId = await newBinanceAccount();
    server.failNext({ method: 'POST', path: '/api/v3/order' }, faults.serverError(503));
    const { order } = await placeOrder(t.db, userId, limitBuy(accountId, 'cb5XXNOTPLACED1'), deps);
    expect(order.status, 'a 5xx is ambiguous').toBe('unknown');
    expect(onServer('cb5XXNOTPLACED1'), 'nothing was placed').toEqual([]);

    const early = await reconcileAccount(t.db, accountId, deps);
    expect(early, 'just written: not concluded yet').toMatchObject({ checked: 1, updated: 0, notFound: 0 });
    expect(early.pending.map((p) => p.orderId)).toEqual([order.id]);
    expect((await orderRow(order.id)).status).toBe('unknown');

    const settled = await reconcileAccount(t.db, accountId, later);
    expect(settled).toMatchObject({ checked: 1, updated: 1, notFound: 1, fillsApplied: 0 });
    expect(await orderRow(order.id)).toMatchObject({ status: 'rejected', statusReason: 'not found on exchange' });
    expect(await eventsOf(order.id)).toEqual(['created:>new', 'send_ambiguous:new>unknown', 'reconciled_not_found:unknown>rejected']);
    expect(server.count('POST', '/api/v3/order'), 'never re-sent').toBe(1);
    expect(onServer('cb5XXNOTPLACED1')).toEqual([]);
  });

  it('5xx after the exchange placed it → unknown; reconcile finds it → open', async () => {
    const accountId = await newBinanceAccount();
    server.failNext({ method: 'POST', path: '/api/v3/order' }, faults.serverErrorAfterAccept(503));
    const { order } = await placeOrder(t.db, userId, limitBuy(accountId, 'cb5XXPLACED0001'), deps);
    expect(order.status).toBe('unknown');
    expect(await reconcileAccount(t.db, accountId, later)).toMatchObject({ checked: 1, updated: 1, notFound: 0, external: [] });
    expect(await orderRow(order.id)).toMatchObject({ status: 'open', exchangeOrderId: String(onServer('cb5XXPLACED0001')[0]!.orderId) });
    expect(server.count('POST', '/api/v3/order')).toBe(1);
  });

  it('429: refused before processing → rejected (it never reached the book); a retry does not re-send it, reconcile leaves it', async () => {
    const accountId = await newBinanceAccount();
    server.failNext({ method: 'POST', path: '/api/v3/order' }, faults.rateLimited(1));
    const input = limitBuy(accountId, 'cbRATELIMITED01');
    const { order } = await placeOrder(t.db, userId, input, deps);
    expect(order.status, 'nothing exists on the exchange').toBe('rejected');
    expect(order.statusReason, 'says it was the rate limit').toMatch(/-1003|too much request weight/i);
    expect(onServer('cbRATELIMITED01')).toEqual([]);

    const retry = await placeOrder(t.db, userId, input, deps);
    expect(retry, 'the same clientOrderId returns the stored order').toMatchObject({ created: false, order: { id: order.id, status: 'rejected' } });
    expect(await reconcileAccount(t.db, accountId, later), 'a settled order is not looked up').toMatchObject({ checked: 0, updated: 0 });
    expect(server.count('POST', '/api/v3/order'), 'sent exactly once').toBe(1);
    expect(await eventsOf(order.id)).toEqual(['created:>new', 'send_rejected:new>rejected']);
  });

  it('insufficient balance → rejected', async () => {
    const accountId = await newBinanceAccount();
    const { order } = await placeOrder(t.db, userId, limitBuy(accountId, 'cbTOOPOOR000001', '9'), deps);
    expect(order.status, '9 × 20000 USDT is more than the 100000 available').toBe('rejected');
    expect(order.statusReason).toMatch(/insufficient balance/i);
    expect(await reconcileAccount(t.db, accountId, later)).toMatchObject({ checked: 0, updated: 0, notFound: 0 });
    expect((await orderRow(order.id)).status).toBe('rejected');
  });
});

describe('orders the exchange does not know', () => {
  it('an acknowledged order the exchange no longer knows stays as it is and raises one alert', async () => {
    const accountId = await newBinanceAccount();
    const { order } = await placeOrder(t.db, userId, limitBuy(accountId, 'cbARCHIVED00001'), deps);
    expect(order.status).toBe('open');
    server.orders.delete(Number(order.exchangeOrderId)); // archived, or the exchange lost it
    const first = await reconcileAccount(t.db, accountId, later);
    const second = await reconcileAccount(t.db, accountId, later);
    for (const result of [first, second]) {
      expect(result).toMatchObject({ checked: 1, updated: 0, notFound: 0 });
      expect(result.pending).toMatchObject([{ orderId: order.id, reason: expect.stringMatching(/does not know/) }]);
    }
    expect((await orderRow(order.id)).status, 'not concluded: it was on the book').toBe('open');
    const raised = await alertsOf(accountId);
    expect(
      raised.map((a) => [a.kind, a.severity, a.orderId]),
      'one alert over two passes',
    ).toEqual([['reconciliation', 'warning', order.id]]);
    expect(raised[0]!.message).toContain('cbARCHIVED00001');
    expect(await eventsOf(order.id)).toEqual(['created:>new', 'sent_ack:new>open']);
  });

  it('a lookup that answers -2013 for an unknown order settles it as not found', async () => {
    const accountId = await newBinanceAccount();
    server.failNext({ method: 'POST', path: '/api/v3/order' }, faults.hang());
    const { order } = await placeOrder(t.db, userId, limitBuy(accountId, 'cbHANG000000001'), deps);
    expect(order.status, 'a request that never returned is ambiguous').toBe('unknown');
    server.failNext({ method: 'GET', path: '/api/v3/order' }, faults.orderNotFound());
    expect(await reconcileAccount(t.db, accountId, later)).toMatchObject({ checked: 1, notFound: 1 });
    expect(await orderRow(order.id)).toMatchObject({ status: 'rejected', statusReason: 'not found on exchange' });
    expect(server.count('GET', '/api/v3/order'), 'looked up by clientOrderId').toBe(1);
    expect(server.requests.find((r) => r.method === 'GET' && r.path === '/api/v3/order')!.query.get('origClientOrderId')).toBe('cbHANG000000001');
  });
});

describe('a `new` order left by a worker that died', () => {
  async function insertNewOrder(accountId: string, clientOrderId: string, ageMs: number): Promise<string> {
    const createdAt = new Date(Date.now() - ageMs);
    const [row] = await t.db
      .insert(orders)
      .values({
        accountId,
        userId,
        clientOrderId,
        exchange: 'binance',
        symbol: 'BTC/USDT',
        side: 'buy',
        type: 'limit',
        quantity: '0.002',
        price: '20000',
        status: 'new',
        createdAt,
        updatedAt: createdAt,
      })
      .returning();
    await t.db.insert(orderEvents).values({ orderId: row!.id, type: 'created', fromStatus: null, toStatus: 'new', details: { clientOrderId } });
    return row!.id;
  }

  it('never sent: resolved as not found, without sending it; a young one is left alone', async () => {
    const accountId = await newBinanceAccount();
    const stale = await insertNewOrder(accountId, 'cbCRASHED000001', 2 * MINUTE);
    const young = await insertNewOrder(accountId, 'cbINFLIGHT00001', 0);
    const result = await reconcileAccount(t.db, accountId, deps);
    expect(result).toMatchObject({ checked: 1, updated: 1, notFound: 1 });
    expect(
      result.pending.map((p) => p.orderId),
      'the young one may still be in its send',
    ).toEqual([young]);
    expect(await orderRow(stale)).toMatchObject({ status: 'rejected', statusReason: 'not found on exchange' });
    expect(await eventsOf(stale)).toEqual(['created:>new', 'send_ambiguous:new>unknown', 'reconciled_not_found:unknown>rejected']);
    const [ambiguous] = await t.db
      .select()
      .from(orderEvents)
      .where(and(eq(orderEvents.orderId, stale), eq(orderEvents.type, 'send_ambiguous')));
    expect(ambiguous!.reason).toBe('worker restarted before recording the send');
    expect((await orderRow(young)).status).toBe('new');
    expect(server.count('POST', '/api/v3/order'), 'nothing sent').toBe(0);
  });

  it('sent before the worker died: found by its clientOrderId → open, and not mistaken for an external order', async () => {
    const accountId = await newBinanceAccount();
    const id = await insertNewOrder(accountId, 'cbSENTTHENDIED1', 2 * MINUTE);
    const placed = server.placeExternalOrder({
      symbol: 'BTCUSDT',
      side: 'BUY',
      type: 'LIMIT',
      quantity: '0.002',
      price: '20000',
      clientOrderId: 'cbSENTTHENDIED1',
    });
    const result = await reconcileAccount(t.db, accountId, deps);
    expect(result).toMatchObject({ checked: 1, updated: 1, notFound: 0, external: [] });
    expect(await orderRow(id)).toMatchObject({ status: 'open', exchangeOrderId: String(placed.orderId) });
    expect(await eventsOf(id)).toEqual(['created:>new', 'send_ambiguous:new>unknown', 'reconciled_open:unknown>open']);
    expect(await alertsOf(accountId)).toEqual([]);
  });
});

describe('the exchange changed an order behind our back', () => {
  it('partly filled, then canceled on the exchange: the trade is applied, then the order is canceled', async () => {
    const accountId = await newBinanceAccount();
    const { order } = await placeOrder(t.db, userId, limitBuy(accountId, 'cbCANCELEDEXT01'), deps);
    const exchangeId = Number(order.exchangeOrderId);
    server.fillOrder(exchangeId, '0.001');
    server.cancelExternally(exchangeId);
    expect(await reconcileAccount(t.db, accountId, deps)).toMatchObject({ checked: 1, updated: 1, fillsApplied: 1 });
    expect(await orderRow(order.id)).toMatchObject({ status: 'canceled', statusReason: 'canceled on the exchange', filledQuantity: '0.001' });
    expect(await eventsOf(order.id)).toEqual(['created:>new', 'sent_ack:new>open', 'fill:open>partially_filled', 'canceled:partially_filled>canceled']);
  });

  it('a market order acknowledged without its trades is filled from them by the next pass', async () => {
    const accountId = await newBinanceAccount();
    const { order } = await placeOrder(
      t.db,
      userId,
      { accountId, symbol: 'BTC/USDT', side: 'sell', type: 'market', quantity: '0.1', clientOrderId: 'cbMARKETSELL001' },
      deps,
    );
    expect(order.status, 'the adapter reports the ack; trades come from reconciliation').toBe('open');
    expect(await reconcileAccount(t.db, accountId, deps)).toMatchObject({ updated: 1, fillsApplied: 1 });
    expect(await orderRow(order.id)).toMatchObject({ status: 'filled', filledQuantity: '0.1', fees: { USDT: '0.01' } });
    expect((await getOrder(t.db, userId, order.id)).fills).toMatchObject([{ quantity: '0.1', price: '100', liquidity: 'taker' }]);
  });
});

describe('orders Cryptobot did not place', () => {
  it('are flagged with exactly one alert, never adopted and never canceled', async () => {
    const accountId = await newBinanceAccount();
    const external = server.placeExternalOrder({
      symbol: 'BTCUSDT',
      side: 'SELL',
      type: 'LIMIT',
      quantity: '0.01',
      price: '90000',
      clientOrderId: 'web_manual_1',
    });
    const { order: mine } = await placeOrder(t.db, userId, limitBuy(accountId, 'cbMINE000000001'), deps);

    const first = await reconcileAccount(t.db, accountId, deps);
    const second = await reconcileAccount(t.db, accountId, deps);
    for (const result of [first, second]) {
      expect(result.external, 'reported on every pass').toEqual([
        {
          exchangeOrderId: String(external.orderId),
          clientOrderId: 'web_manual_1',
          symbol: 'BTC/USDT',
          side: 'sell',
          type: 'limit',
          amount: '0.01',
          price: '90000',
        },
      ]);
    }
    const raised = await alertsOf(accountId);
    expect(raised.length, 'one alert for one order over two passes').toBe(1);
    expect(raised[0]).toMatchObject({ kind: 'reconciliation', severity: 'warning', orderId: null });
    expect(raised[0]!.message).toMatch(/did not place.*sell 0\.01 BTC\/USDT at 90000/);

    const rows = await t.db.select().from(orders).where(eq(orders.accountId, accountId));
    expect(
      rows.map((r) => r.id),
      'not adopted: only our own order has a row',
    ).toEqual([mine.id]);
    expect(server.orders.get(external.orderId)!.status, 'not canceled').toBe('NEW');
    expect(server.count('DELETE', '/api/v3/order'), 'no cancel was ever sent').toBe(0);
  });

  it('an order Cryptobot settled that shows up open on the exchange raises a critical alert and is left alone', async () => {
    const accountId = await newBinanceAccount();
    server.failNext({ method: 'POST', path: '/api/v3/order' }, faults.serverError(503));
    const { order } = await placeOrder(t.db, userId, limitBuy(accountId, 'cbLATEARRIVAL01'), deps);
    await reconcileAccount(t.db, accountId, later);
    expect((await orderRow(order.id)).status).toBe('rejected');
    // The exchange had it after all (e.g. a delayed match engine): it appears with our clientOrderId.
    server.placeExternalOrder({ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.002', price: '20000', clientOrderId: 'cbLATEARRIVAL01' });
    const result = await reconcileAccount(t.db, accountId, later);
    await reconcileAccount(t.db, accountId, later);
    expect(result.external, 'it is ours, not external').toEqual([]);
    expect((await alertsOf(accountId)).map((a) => [a.severity, a.orderId])).toEqual([['critical', order.id]]);
    expect((await orderRow(order.id)).status, 'a terminal status never changes').toBe('rejected');
    expect(server.count('DELETE', '/api/v3/order')).toBe(0);
  });
});

describe('balances, paper accounts and concurrency', () => {
  it("records the exchange's balances", async () => {
    const accountId = await newBinanceAccount();
    const result = await reconcileAccount(t.db, accountId, deps);
    expect(result.balances).toMatchObject({ USDT: { free: '100000', used: '0', total: '100000' }, BTC: { free: '10', total: '10' } });
    expect(result.balanceError).toBeNull();
  });

  it('a second reconcile of an account that is being reconciled skips it without calling the exchange', async () => {
    const accountId = await newBinanceAccount();
    server.failNext({ method: 'POST', path: '/api/v3/order' }, faults.timeoutAfterAccept());
    const { order } = await placeOrder(t.db, userId, limitBuy(accountId, 'cbLOCKED0000001'), deps);
    const requestsBefore = server.requests.length;
    // Another worker's pass holds the account's lease.
    await t.db
      .update(exchangeAccounts)
      .set({ reconcileLeaseUntil: sql`now() + interval '1 minute'` })
      .where(eq(exchangeAccounts.id, accountId));
    expect(await reconcileAccount(t.db, accountId, deps)).toMatchObject({ skipped: true, checked: 0, updated: 0 });
    expect(server.requests.length, 'no exchange call').toBe(requestsBefore);
    expect((await orderRow(order.id)).status).toBe('unknown');
    // Its worker was killed: the lease runs out, and the next pass takes the account.
    await t.db
      .update(exchangeAccounts)
      .set({ reconcileLeaseUntil: sql`now() - interval '1 second'` })
      .where(eq(exchangeAccounts.id, accountId));
    expect(await reconcileAccount(t.db, accountId, deps), 'once the lease ran out').toMatchObject({ skipped: false, updated: 1 });
    const [after] = await t.db.select({ lease: exchangeAccounts.reconcileLeaseUntil }).from(exchangeAccounts).where(eq(exchangeAccounts.id, accountId));
    expect(after!.lease, 'a finished pass gives the lease back').toBeNull();
  });

  it('paper accounts: resting orders fill when the price crossed them', async () => {
    let latest = 100;
    let candles: Array<[number, number, number, number, number, number]> = [];
    const now = Date.UTC(2025, 5, 1, 12, 0);
    const feed: PaperPriceSource = {
      latest: async () => ({ price: latest, timeMs: now, source: 'test feed' }),
      candlesSince: async (_symbol, sinceMs, untilMs) => candles.filter((c) => c[0] >= sinceMs && c[0] + MINUTE <= untilMs),
    };
    const paperDeps: ReconcileDeps = { ...deps, prices: () => feed, clock: () => now + 5 * MINUTE };
    const account = await createAccount(
      t.db,
      userId,
      { name: 'paper reconcile', exchange: 'paper', balances: { USDT: '10000' }, feeRate: '0.001', slippage: '0' },
      {},
      deps,
    );
    const { order } = await placeOrder(
      t.db,
      userId,
      { accountId: account.id, symbol: 'BTC/USDT', side: 'buy', type: 'limit', quantity: '1', price: '90' },
      { ...paperDeps, clock: () => now },
    );
    expect(order.status).toBe('open');
    latest = 95;
    candles = [[now + MINUTE, 95, 96, 89, 92, 10]];
    const result = await reconcileAccount(t.db, account.id, paperDeps);
    expect(result).toMatchObject({ exchange: 'paper', checked: 1, updated: 1, fillsApplied: 1 });
    expect((await orderRow(order.id)).status).toBe('filled');
    expect(result.balances).toMatchObject({ BTC: { free: '1' } });
  });
});

describe('live updates (events.stream)', () => {
  it('every order the reconciler settles or changes sends one order event, as the orders service does; an external order raises an alert event', async () => {
    const accountId = await newBinanceAccount();
    const received: string[] = [];
    const listener = await t.sql.listen(EVENTS_CHANNEL, (payload) => {
      const event = JSON.parse(payload) as { kind: string; userId: string; orderId?: string; status?: string };
      if (event.userId === userId && (event.kind === 'order' || event.kind === 'alert'))
        received.push(event.kind === 'order' ? `${event.orderId} ${event.status}` : 'alert');
    });
    try {
      // Unknown (lost answer), then found open, then filled on the exchange.
      server.failNext({ method: 'POST', path: '/api/v3/order' }, faults.timeoutAfterAccept());
      const { order: a } = await placeOrder(t.db, userId, limitBuy(accountId, 'cbEVENTS00001'), deps);
      // A resting order canceled on the exchange's website; a `new` one whose send never happened (→ rejected).
      const { order: b } = await placeOrder(t.db, userId, limitBuy(accountId, 'cbEVENTS00002'), deps);
      const [c] = await t.db
        .insert(orders)
        .values({
          accountId,
          userId,
          clientOrderId: 'cbEVENTS00003',
          exchange: 'binance',
          symbol: 'BTC/USDT',
          side: 'buy',
          type: 'limit',
          quantity: '0.002',
          price: '20000',
          status: 'unknown',
          createdAt: new Date(Date.now() - 10 * MINUTE),
        })
        .returning();
      await expect.poll(() => received.length, { message: 'the orders service announced a (unknown) and b (open)' }).toBe(2);
      received.length = 0;

      server.cancelExternally(onServer('cbEVENTS00002')[0]!.orderId);
      const external = server.placeExternalOrder({ symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', quantity: '0.001', price: '90000' });
      expect(await reconcileAccount(t.db, accountId, later)).toMatchObject({
        updated: 3,
        notFound: 1,
        external: [{ exchangeOrderId: String(external.orderId) }],
      });
      await expect.poll(() => [...received].sort()).toEqual([`${a.id} open`, `${b.id} canceled`, `${c!.id} rejected`, 'alert'].sort());

      received.length = 0;
      server.fillOrder(onServer('cbEVENTS00001')[0]!.orderId);
      expect(await reconcileAccount(t.db, accountId, later)).toMatchObject({ updated: 1, fillsApplied: 1 });
      await expect.poll(() => received).toEqual([`${a.id} filled`]);
      expect(await reconcileAccount(t.db, accountId, later), 'nothing changed').toMatchObject({ updated: 0 });
      expect(received, 'nothing changed: no event').toEqual([`${a.id} filled`]);
    } finally {
      await listener.unlisten();
    }
  });
});
