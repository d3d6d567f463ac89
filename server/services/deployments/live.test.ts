/**
 * A live deployment against the local Binance-speaking test server, through the real ccxt binance class:
 * orders are written before they are sent, rounded to the market's step, and an ambiguous send (the
 * answer lost after the exchange accepted the order) is settled by reconciliation, never re-sent.
 */
import { randomBytes } from 'node:crypto';
import { asc, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';

const HOUR = 3_600_000;
import { deployments, fills, orderEvents, orders, strategies } from '@/db/schema';
import type { OhlcvRow } from '@/server/core/candles';
import { clearMarketCache, createCcxtExchange } from '@/server/exchange/ccxt-adapter';
import { BinanceTestServer, binanceApiUrls, faults } from '@/server/testing/exchange/binance-test-server';
import { createAccount, type ExchangeConnector, type ExchangeOption } from '@/server/services/accounts';
import { registerUser } from '@/server/services/auth/users';
import { parseMasterKey } from '@/server/services/crypto';
import { EVENTS_CHANNEL } from '@/server/services/events';
import { createStrategyForUser } from '@/server/services/strategies/strategies';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { fixtureRows } from '@/server/testing/fixtures';
import { createDeployment, getDeployment, type DeploymentDeps } from './deployments';
import { claimDeployments } from './leases';
import { loadRuntime, tickDeployment } from '.';

const KEY = parseMasterKey(randomBytes(32).toString('base64'));
const EXCHANGES: ExchangeOption[] = [{ id: 'binance', name: 'Binance', requiredCredentials: ['apiKey', 'secret'], unsupportedCredentials: [] }];
// Real candles moved in time so that the three the test plays opened in the last hours: the test server
// checks request timestamps against the wall clock, so its clock stays real; the feed's clock is the test's.
const real = fixtureRows('btc-usd-1h').slice(0, 203);
const offset = Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR - real[200]![0];
const klines = real.map((r): OhlcvRow => [r[0] + offset, r[1], r[2], r[3], r[4], r[5]]);

let t: TestDatabase;
let server: BinanceTestServer;
let now = klines[200]![0];
const clock = () => now;
const urls = () => binanceApiUrls(server.baseUrl);
/** Clients made for the account: one per exchangeFor, i.e. one per decryption of its credentials. */
let clientsMade = 0;
const connect: ExchangeConnector = ({ exchangeId, accountId, credentials }) => {
  clientsMade++;
  return createCcxtExchange({
    exchangeId,
    accountId,
    credentials,
    timeoutMs: 1000,
    rateLimit: { perSecond: 1000, perMinute: 100_000 },
    urls: urls(),
    retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
  });
};
const deps: DeploymentDeps = {
  keys: [KEY],
  exchanges: () => EXCHANGES,
  connect,
  now: clock,
  marketData: () =>
    createCcxtExchange({
      exchangeId: 'binance',
      timeoutMs: 1000,
      rateLimit: { perSecond: 1000, perMinute: 100_000 },
      urls: urls(),
      retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
    }),
};

beforeAll(async () => {
  t = await createTestDatabase();
  server = await new BinanceTestServer({ balances: { USDT: '10000' }, klines: { BTCUSDT: { '1h': klines } } }).start();
  clearMarketCache();
});
afterAll(async () => {
  await server?.close();
  await t?.destroy();
});

it('places live orders on the exchange, and settles an ambiguous send by reconciliation instead of sending it twice', async () => {
  const userId = (await registerUser(t.db, { username: 'live-trader', password: 'correct horse battery' })).id;
  const account = await createAccount(
    t.db,
    userId,
    { name: 'binance main', exchange: 'binance', credentials: { apiKey: server.apiKey, secret: server.secret } },
    {},
    deps,
  );
  const strategy = await createStrategyForUser(t.db, userId, {
    name: 'live dca',
    type: 'dca',
    params: { intervalBars: 1, amountPerBuy: 100 },
    exchange: 'binance',
    symbol: 'BTC/USDT',
    timeframe: '1h',
  });
  await t.db.update(strategies).set({ status: 'stopped' }).where(eq(strategies.id, strategy.id)); // paper traded before

  await expect(createDeployment(t.db, userId, strategy.id, { accountId: account.id, mode: 'live', maxPositionQuote: '1000' }, deps)).rejects.toMatchObject({
    code: 'UNPROCESSABLE',
    details: { fields: [{ field: 'confirm' }] },
  });
  await expect(
    createDeployment(
      t.db,
      userId,
      strategy.id,
      { accountId: account.id, mode: 'live', maxPositionQuote: '1000', confirm: { accountName: 'binance main', maxPositionQuote: '2000' } },
      deps,
    ),
  ).rejects.toMatchObject({ code: 'UNPROCESSABLE' });
  const d = await createDeployment(
    t.db,
    userId,
    strategy.id,
    { accountId: account.id, mode: 'live', maxPositionQuote: '1000', confirm: { accountName: 'binance main', maxPositionQuote: '1000' } },
    deps,
  );
  expect(d.feed.type).toBe('live');
  expect(d.capitalQuote).toBe('1000');

  const [claimed] = await claimDeployments(t.db, 'live-worker', 10, 60_000);
  const [row] = await t.db.select().from(deployments).where(eq(deployments.id, d.id));
  const rt = await loadRuntime(t.db, row!, Number(claimed!.lease_epoch));

  const events: Array<{ kind: string; orderId?: string; status?: string }> = [];
  const listener = await t.sql.listen(EVENTS_CHANNEL, (payload) => void events.push(JSON.parse(payload) as (typeof events)[number]));

  // Hour 1: the candle that opened at deployment time closes; DCA buys 100 USDT at market.
  now += HOUR;
  clientsMade = 0;
  expect((await tickDeployment(t.db, rt, deps)).status).toBe('ok');
  let placed = await t.db.select().from(orders).where(eq(orders.deploymentId, d.id)).orderBy(asc(orders.createdAt));
  expect(placed.map((o) => o.status)).toEqual(['filled']);
  expect(clientsMade, "the account's credentials were decrypted once for the order (market, send, lookup)").toBe(1);
  expect(server.count('GET', '/api/v3/openOrders'), 'the tick settled its order by one lookup, not by reconciling the whole account').toBe(0);
  // The tick's last statement (the deployment event) comes after its orders' events: once it is here, they are too.
  await expect.poll(() => events.some((e) => e.kind === 'deployment')).toBe(true);
  expect(
    events.filter((e) => e.kind === 'order').map((e) => e.status),
    "each change of the order announced once: the ack, then its fill; no second 'filled'",
  ).toEqual(['open', 'filled']);
  await listener.unlisten();
  expect(placed[0]!.quantity, 'rounded to the market step (0.00001) before it was written').toMatch(/^0\.\d{1,5}$/);

  // Hour 2: the exchange accepts the order but the answer is lost (timeout).
  server.failNext({ method: 'POST', path: '/api/v3/order' }, faults.timeoutAfterAccept());
  now += HOUR;
  await tickDeployment(t.db, rt, deps);
  placed = await t.db.select().from(orders).where(eq(orders.deploymentId, d.id)).orderBy(asc(orders.createdAt));
  expect(placed.length, 'one order per bar, never a second copy').toBe(2);
  const second = placed[1]!;
  const history = await t.db.select().from(orderEvents).where(eq(orderEvents.orderId, second.id)).orderBy(asc(orderEvents.id));
  expect(history.map((e) => e.toStatus)).toContain('unknown');
  expect(second.status, 'reconciliation found it on the exchange, filled').toBe('filled');
  const posts = server.requests.filter((r) => r.method === 'POST' && r.path === '/api/v3/order' && r.query.get('newClientOrderId') === second.clientOrderId);
  expect(posts.length, 'the ambiguous order was sent exactly once').toBe(1);

  const view = await getDeployment(t.db, userId, d.id, deps);
  const fillRows = await t.db
    .select()
    .from(fills)
    .where(
      inArray(
        fills.orderId,
        placed.map((o) => o.id),
      ),
    );
  expect(fillRows.length, 'each order filled once').toBe(2);
  // Binance takes a buyer's commission in the base asset: the position is what arrived.
  const bought = fillRows.reduce((sum, f) => sum + Number(f.quantity) - (f.feeCurrency === 'BTC' ? Number(f.fee) : 0), 0);
  expect(Number(view.position.quantity)).toBeCloseTo(bought, 10);
  expect(view.lastBarTime).toBe(new Date(now - HOUR).toISOString());
  const balance = await connect({ exchangeId: 'binance', accountId: account.id, credentials: { apiKey: server.apiKey, secret: server.secret } }).fetchBalance();
  expect(Number(balance.BTC?.total ?? 0), 'what the exchange holds is what the deployment thinks it holds').toBeCloseTo(bought, 10);
}, 60_000);
