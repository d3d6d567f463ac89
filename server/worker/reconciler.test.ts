import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fills, orders, signals } from '@/db/schema';
import type { OhlcvRow } from '@/server/core/candles';
import { clearMarketCache } from '@/server/exchange/ccxt-adapter';
import { BinanceTestServer, faults } from '@/server/testing/exchange/binance-test-server';
import { TEST_EXCHANGES, testServerConnector } from '@/server/testing/exchange/connector';
import { liveSignalDeployment, orderPosts } from '@/server/testing/exchange/live-signal-deployment';
import { createAccount } from '@/server/services/accounts';
import { registerUser } from '@/server/services/auth/users';
import { parseMasterKey } from '@/server/services/crypto';
import { getDeployment } from '@/server/services/deployments';
import { placeOrder } from '@/server/services/orders';
import type { ReconcileDeps, ReconcileResult } from '@/server/services/reconcile';
import { receiveSignal, signalClientOrderId } from '@/server/services/signals';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { createReconcilerLoop } from './reconciler';

const KEY = parseMasterKey(randomBytes(32).toString('base64'));

let t: TestDatabase;
let server: BinanceTestServer;
const connect = testServerConnector(() => server);
const deps: ReconcileDeps = { keys: [KEY], exchanges: () => TEST_EXCHANGES, connect };

beforeAll(async () => {
  t = await createTestDatabase();
  const hour = 3_600_000;
  const lastHour = Math.floor(Date.now() / hour) * hour;
  const klines: OhlcvRow[] = Array.from({ length: 5 }, (_, i) => [lastHour - (5 - i) * hour, 50_000, 50_000, 50_000, 50_000, 10]);
  server = await new BinanceTestServer({ balances: { USDT: '100000', BTC: '10' }, klines: { BTCUSDT: { '1h': klines } } }).start();
  clearMarketCache();
});
afterAll(async () => {
  await server?.close();
  await t?.destroy();
});

function waitFor(predicate: () => boolean, timeoutMs: number): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const check = () => {
      if (predicate()) resolve();
      else if (Date.now() - started > timeoutMs) reject(new Error(`not within ${timeoutMs} ms`));
      else setTimeout(check, 20);
    };
    check();
  });
}

it('the reconciler loop settles an unknown order on its first pass, survives a failing account, passes again, and stops on abort', async () => {
  const { id: userId } = await registerUser(t.db, { username: 'loop-reconcile', password: 'long enough pw' });
  const good = await createAccount(
    t.db,
    userId,
    { name: 'good', exchange: 'binance', credentials: { apiKey: server.apiKey, secret: server.secret } },
    {},
    deps,
  );
  // Credentials the exchange refuses: this account fails on every pass.
  const refused = await createAccount(
    t.db,
    userId,
    { name: 'refused', exchange: 'binance', credentials: { apiKey: 'wrong-api-key-000000', secret: 'wrong-secret-00000000' } },
    {},
    deps,
  );
  server.failNext({ method: 'POST', path: '/api/v3/order' }, faults.timeoutAfterAccept());
  const { order } = await placeOrder(
    t.db,
    userId,
    { accountId: good.id, symbol: 'BTC/USDT', side: 'buy', type: 'limit', quantity: '0.002', price: '20000', clientOrderId: 'cbLOOP000000001' },
    deps,
  );
  expect(order.status).toBe('unknown');

  const results: ReconcileResult[] = [];
  const logLines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) });
  const controller = new AbortController();
  const loop = createReconcilerLoop({ intervalMs: 200, deps, onResult: (r) => results.push(r) });
  expect(loop.name).toBe('reconciler');
  const stop = await loop.start({ database: t, workerId: 'test', logger, signal: controller.signal });

  await waitFor(() => results.filter((r) => r.accountId === good.id).length >= 2, 15_000);
  const [first] = results.filter((r) => r.accountId === good.id);
  expect(first, 'the first pass settled it').toMatchObject({ checked: 1, updated: 1 });
  const [row] = await t.db.select().from(orders).where(eq(orders.id, order.id));
  expect(row!.status).toBe('open');
  expect(
    results.every((r) => r.accountId === good.id),
    'the refused account produced no result, and did not stop the loop',
  ).toBe(true);
  const failures = logLines.filter((l) => l.msg === 'reconciling an account failed; retrying next interval');
  expect(failures.length, 'the refused account was tried and its failure logged').toBeGreaterThan(0);
  expect(failures.every((l) => l.accountId === refused.id)).toBe(true);
  expect(JSON.stringify(failures), 'without its credentials').not.toMatch(/wrong-secret|wrong-api-key/);

  const abortedAt = Date.now();
  controller.abort();
  await stop();
  expect(Date.now() - abortedAt, 'stops promptly').toBeLessThan(5_000);
  const requestsAtStop = server.requests.length;
  await new Promise((resolve) => setTimeout(resolve, 600));
  expect(server.requests.length, 'no pass after stopping').toBe(requestsAtStop);
  expect(server.count('POST', '/api/v3/order'), 'the order was never re-sent').toBe(1);
});

const posts = (clientOrderId: string) => orderPosts(server, clientOrderId);

it('books a pending signal its sender never retries: the reconciler settles the order, then books the fill once', async () => {
  const { userId, deployment: d, secret } = await liveSignalDeployment(t.db, server, deps, { name: 'live-signals-unretried', maxPositionQuote: '500' });
  const clientOrderId = signalClientOrderId(d.id, 'u1');

  // The buy's answer is lost and its lookup hangs: pending (202), and the sender never sends it again.
  server.failNext({ method: 'POST', path: '/api/v3/order' }, faults.timeoutAfterAccept());
  server.failNext({ method: 'GET', path: '/api/v3/order' }, faults.hang());
  const buy = await receiveSignal(t.db, d.id, secret, JSON.stringify({ action: 'buy', symbol: 'BTCUSDT', id: 'u1' }), { orderDeps: deps });
  expect(buy.status, JSON.stringify(buy.body)).toBe(202);
  expect(Number((await getDeployment(t.db, userId, d.id, deps)).position.quantity), 'nothing booked yet').toBe(0);

  // The worker's reconciler loop: its pass settles the order from the exchange, then books the signal.
  const controller = new AbortController();
  const logger = pino({ level: 'silent' });
  const stop = await createReconcilerLoop({ intervalMs: 200, deps: { ...deps, newOrderGraceMs: 0, notFoundGraceMs: 0 } }).start({
    database: t,
    workerId: 'test',
    logger,
    signal: controller.signal,
  });
  try {
    await expect.poll(async () => (await t.db.select().from(signals).where(eq(signals.deploymentId, d.id)))[0]?.outcome, { timeout: 20_000 }).toBe('executed');
  } finally {
    controller.abort();
    await stop();
  }
  const [order] = await t.db.select().from(orders).where(eq(orders.clientOrderId, clientOrderId));
  expect(order!.status).toBe('filled');
  // What the deployment holds: the fills' quantity less the fees taken in the base asset, booked once.
  const orderFills = await t.db.select().from(fills).where(eq(fills.orderId, order!.id));
  expect(orderFills.length).toBeGreaterThan(0);
  const held = orderFills.reduce((sum, f) => sum + Number(f.quantity) - (f.feeCurrency === 'BTC' ? Number(f.fee) : 0), 0);
  const view = await getDeployment(t.db, userId, d.id, deps);
  expect(Number(view.position.quantity), 'the fill is in the position, once').toBeCloseTo(held, 10);
  expect(posts(clientOrderId), 'sent exactly once').toBe(1);

  // A late retry by the sender answers the booked outcome and books nothing more.
  const late = await receiveSignal(t.db, d.id, secret, JSON.stringify({ action: 'buy', symbol: 'BTCUSDT', id: 'u1' }), { orderDeps: deps });
  expect(late.status).toBe(200);
  expect(Number((await getDeployment(t.db, userId, d.id, deps)).position.quantity)).toBeCloseTo(held, 10);
  expect(posts(clientOrderId)).toBe(1);
}, 60_000);
