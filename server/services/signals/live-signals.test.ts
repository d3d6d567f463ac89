/**
 * A live signal deployment against the local Binance-speaking test server, through the real ccxt binance class:
 * each signal's order goes through the orders service's one execute call (its row committed before the exchange is
 * called), with a clientOrderId derived from the signal's id, so a retried signal never sends a second order, even
 * when the first one's answer was lost.
 */
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { orders } from '@/db/schema';
import type { OhlcvRow } from '@/server/core/candles';
import { clearMarketCache } from '@/server/exchange/ccxt-adapter';
import { parseMasterKey } from '@/server/services/crypto';
import { getDeployment, type DeploymentDeps } from '@/server/services/deployments';
import { BinanceTestServer, faults } from '@/server/testing/exchange/binance-test-server';
import { TEST_EXCHANGES, testServerConnector } from '@/server/testing/exchange/connector';
import { liveSignalDeployment, orderPosts } from '@/server/testing/exchange/live-signal-deployment';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { receiveSignal, signalClientOrderId } from '.';

const HOUR = 3_600_000;
const PRICE = 50_000;
const KEY = parseMasterKey(randomBytes(32).toString('base64'));
const lastHour = Math.floor(Date.now() / HOUR) * HOUR;
const klines: OhlcvRow[] = Array.from({ length: 5 }, (_, i) => [lastHour - (5 - i) * HOUR, PRICE, PRICE, PRICE, PRICE, 10]);

let t: TestDatabase;
let server: BinanceTestServer;
const connect = testServerConnector(() => server);
const deps: DeploymentDeps = { keys: [KEY], exchanges: () => TEST_EXCHANGES, connect };

beforeAll(async () => {
  t = await createTestDatabase();
  server = await new BinanceTestServer({ balances: { USDT: '10000' }, klines: { BTCUSDT: { '1h': klines } } }).start();
  clearMarketCache();
}, 60_000);
afterAll(async () => {
  await server?.close();
  await t?.destroy();
});

const posts = (clientOrderId: string) => orderPosts(server, clientOrderId);

it('trades a live signal deployment through the live order path; a retried or lost-answer signal never sends a second order', async () => {
  const { userId, account, deployment: d, secret } = await liveSignalDeployment(t.db, server, deps, { name: 'live-signals', maxPositionQuote: '1000' });
  expect(d.mode).toBe('live');
  const send = (body: Record<string, unknown>) => receiveSignal(t.db, d.id, secret, JSON.stringify(body), { orderDeps: deps });

  // A buy: sized by the one buy verdict (the 1000 maximum position at the exchange's price), sent once.
  const buy = await send({ action: 'buy', symbol: 'BINANCE:BTCUSDT', id: 'l1' });
  expect(buy.status, JSON.stringify(buy.body)).toBe(201);
  const first = (buy.body as { signal: { orderId: string; orderStatus: string } }).signal;
  expect(first.orderStatus).toBe('filled');
  const [order] = await t.db.select().from(orders).where(eq(orders.id, first.orderId));
  expect(order!.clientOrderId).toBe(signalClientOrderId(d.id, 'l1'));
  expect(Number(order!.quantity) * PRICE, 'within the maximum position').toBeLessThanOrEqual(1000);
  expect(order!.quantity, 'rounded to the market step before it was written').toMatch(/^0\.\d{1,5}$/);
  expect(posts(order!.clientOrderId)).toBe(1);

  const tickers = () => server.requests.filter((r) => r.path.startsWith('/api/v3/ticker')).length;
  const tickersBefore = tickers();
  expect(tickersBefore, 'a new signal asks the exchange for its price').toBeGreaterThan(0);
  const again = await send({ action: 'buy', symbol: 'BTCUSDT', id: 'l1' });
  expect(again.status).toBe(200);
  expect(tickers(), 'a repeat uses no price: none is asked').toBe(tickersBefore);
  expect((again.body as { duplicate: boolean }).duplicate).toBe(true);
  expect(posts(order!.clientOrderId), 'a repeated signal is answered from its row, never sent again').toBe(1);

  // A sale whose answer is lost AND whose lookup does not answer: the signal stays pending (202)...
  server.failNext({ method: 'POST', path: '/api/v3/order' }, faults.timeoutAfterAccept());
  server.failNext({ method: 'GET', path: '/api/v3/order' }, faults.hang());
  const sell = await send({ action: 'sell', symbol: 'BTCUSDT', size: '0.005', id: 'l2' });
  expect(sell.status, JSON.stringify(sell.body)).toBe(202);
  expect((sell.body as { signal: { outcome: string } }).signal.outcome).toBe('pending');
  const sellId = signalClientOrderId(d.id, 'l2');
  expect(posts(sellId)).toBe(1);
  // ...another signal waits for it...
  const blocked = await send({ action: 'buy', symbol: 'BTCUSDT', size: '0.001', id: 'l3' });
  expect(blocked.status).toBe(409);
  expect((blocked.body as { error: { message: string } }).error.message).toMatch(/l2's order has not settled/);
  // ...and the sender's retry settles it from the exchange and books it, without sending it again.
  const retried = await send({ action: 'sell', symbol: 'BTCUSDT', size: '0.005', id: 'l2' });
  expect(retried.status, JSON.stringify(retried.body)).toBe(200);
  expect((retried.body as { signal: { outcome: string; orderStatus: string }; duplicate: boolean }).signal).toMatchObject({
    outcome: 'executed',
    orderStatus: 'filled',
  });
  expect(posts(sellId), 'the ambiguous sale was sent exactly once').toBe(1);
  expect(await t.db.$count(orders, eq(orders.deploymentId, d.id))).toBe(2);

  const exit = await send({ action: 'exit', symbol: 'BTCUSDT', id: 'l4' });
  expect(exit.status, JSON.stringify(exit.body)).toBe(201);
  const view = await getDeployment(t.db, userId, d.id, deps);
  const balance = await connect({ exchangeId: 'binance', accountId: account.id, credentials: { apiKey: server.apiKey, secret: server.secret } }).fetchBalance();
  expect(Number(view.position.quantity), 'what the deployment holds is what the exchange holds').toBeCloseTo(Number(balance.BTC?.total ?? 0), 8);
  expect(Number(view.position.quantity), 'the exit sold all but what is below the market step').toBeLessThan(0.00001);
}, 60_000);
