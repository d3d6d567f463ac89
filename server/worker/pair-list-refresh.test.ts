/**
 * A pair list the exchange chooses (top N by 24 h quote volume) on a running live-feed paper deployment, against the
 * local Binance-speaking test server through ccxt: the worker's refresh loop re-resolves it when the volumes change,
 * and the deployment's next tick follows it (a joining pair warms up from fetched candles; a leaving one that holds
 * is kept, off the list, until its strategy exits it, and is then dropped: no more candles fetched for it).
 */
import { and, eq, sql } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { deployments, orders } from '@/db/schema';
import type { OhlcvRow } from '@/server/core/candles';
import type { PortfolioMachineState } from '@/server/core/trading';
import { resetAppConfig } from '@/server/config';
import { clearMarketCache } from '@/server/exchange/ccxt-adapter';
import { createAccount } from '@/server/services/accounts';
import { registerUser } from '@/server/services/auth/users';
import { claimDeployments, createDeployment, getDeployment, loadRuntime, tickDeployment } from '@/server/services/deployments';
import { PAIR_LIST_READ_INTERVAL_MS } from '@/server/services/deployments/pair-list-refresh';
import { BinanceTestServer, DEFAULT_SYMBOLS } from '@/server/testing/exchange/binance-test-server';
import { createDeployableStrategy } from '@/server/testing/strategies/deployable';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { createPairListRefreshLoop } from './pair-list-refresh';

const HOUR = 3_600_000;
const H = Math.floor(Date.now() / HOUR) * HOUR;
/** Hourly candles up to seven hours ahead (`priceAt` the close of each); the test server's clock (and the feed's) is the test's. */
const klines = (priceAt: (openMs: number) => number): OhlcvRow[] =>
  Array.from({ length: 108 }, (_, i) => {
    const time = H - 100 * HOUR + i * HOUR;
    const price = priceAt(time);
    return [time, price, price, price, price, 10];
  });
/** BTC rises at H+1h (the 2/3 SMA crossover: an entry), holds, and falls at H+4h (an exit). */
const btcPrice = (time: number) => (time < H + HOUR ? 2 : time < H + 4 * HOUR ? 3 : 1);

let t: TestDatabase;
let server: BinanceTestServer;
let now = H + HOUR + 1;
const btcCandleRequests = () => server.requests.filter((r) => r.path === '/api/v3/klines' && r.query.get('symbol') === 'BTCUSDT').length;
const clock = () => now;
const savedUrls = process.env.CRYPTOBOT_EXCHANGE_URLS;

beforeAll(async () => {
  t = await createTestDatabase();
  // Quote volume = last price × 24 h volume: SOL (9000 × 3) then BTC (5000 × 2), ETH (2000 × 1) left out.
  server = await new BinanceTestServer({
    symbols: [
      { ...DEFAULT_SYMBOLS[0]!, volume24h: '5000' },
      { ...DEFAULT_SYMBOLS[1]!, volume24h: '2000' },
      { ...DEFAULT_SYMBOLS[2]!, volume24h: '9000' },
    ],
    klines: { BTCUSDT: { '1h': klines(btcPrice) }, ETHUSDT: { '1h': klines(() => 1) }, SOLUSDT: { '1h': klines(() => 3) } },
    now: clock,
  }).start();
  process.env.CRYPTOBOT_EXCHANGE_URLS = JSON.stringify({ binance: server.baseUrl });
  resetAppConfig();
  clearMarketCache();
}, 60_000);

afterAll(async () => {
  if (savedUrls === undefined) delete process.env.CRYPTOBOT_EXCHANGE_URLS;
  else process.env.CRYPTOBOT_EXCHANGE_URLS = savedUrls;
  resetAppConfig();
  await server?.close();
  await t?.destroy();
});

it('refreshes a running deployment’s top-volume list on the loop; the next tick trades the new pair set, manages the leaving pair’s position until it exits, then drops it', async () => {
  const userId = (await registerUser(t.db, { username: 'top-volume-live', password: 'correct horse battery' })).id;
  const accountId = (await createAccount(t.db, userId, { name: 'paper', exchange: 'paper', balances: { USDT: '10000' } })).id;
  const strategy = await createDeployableStrategy(t.db, userId, {
    name: 'top 2',
    type: 'sma_crossover',
    params: { fastPeriod: 2, slowPeriod: 3 },
    exchange: 'binance',
    timeframe: '1h',
    pairlist: { type: 'top_volume', n: 2, quote: 'usdt' },
  });
  expect([strategy.symbols, strategy.pairlist]).toEqual([['SOL/USDT', 'BTC/USDT'], { type: 'top_volume', n: 2, quote: 'USDT' }]);
  const deployment = await createDeployment(t.db, userId, strategy.id, { accountId, mode: 'paper', feed: { type: 'live' } }, { now: clock });
  expect(deployment.strategy.pairlist).toEqual({ type: 'top_volume', n: 2, quote: 'USDT' });

  const [claimed] = await claimDeployments(t.db, 'test-worker', 10, 60_000);
  const [row] = await t.db.select().from(deployments).where(eq(deployments.id, deployment.id));
  const rt = await loadRuntime(t.db, row!, Number(claimed!.lease_epoch));
  now = H + 3 * HOUR + 1;
  expect((await tickDeployment(t.db, rt, { now: clock })).barsProcessed, 'the bars closed since the deployment started').toBe(2);

  // ETH's volume overtakes BTC's: the loop's first pass (at start) stores the new list on the deployment.
  server.symbols[1]!.volume24h = '99999';
  const controller = new AbortController();
  const stop = await createPairListRefreshLoop({ intervalMs: 3_600_000 }).start({
    database: t,
    workerId: 'test',
    logger: pino({ level: 'silent' }),
    signal: controller.signal,
  });
  await vi.waitFor(
    async () => {
      const [stored] = await t.db.select({ strategy: deployments.strategy }).from(deployments).where(eq(deployments.id, deployment.id));
      expect(stored!.strategy.symbols).toEqual(['ETH/USDT', 'SOL/USDT']);
    },
    { timeout: 20_000, interval: 50 },
  );
  await stop();

  now += HOUR;
  expect((await tickDeployment(t.db, rt, { now: clock })).barsProcessed).toBe(1);
  let state = rt.row.runner as unknown as PortfolioMachineState;
  expect(
    state.pairs.map((p) => [p.symbol, p.offList ?? false, p.lastClose, p.quantity > 0]),
    'BTC left the list holding (kept, managed), ETH joined and took its first decision',
  ).toEqual([
    ['SOL/USDT', false, 3, false],
    ['BTC/USDT', true, 3, true],
    ['ETH/USDT', false, 1, false],
  ]);
  expect(state.listOrder, 'the priority is the new list’s: ETH, then SOL').toEqual([2, 0]);
  const eth = rt.portfolio!.bars[2]!.series;
  expect(eth.time[0]!, 'ETH’s warm-up came from the exchange’s candles before the step').toBeLessThan(Number(rt.row.lastBarTime) - 3 * HOUR);

  const view = await getDeployment(t.db, userId, deployment.id, { now: clock });
  expect([view.strategy.symbol, view.strategy.symbols, view.positions.map((p) => p.symbol)]).toEqual([
    'ETH/USDT',
    ['ETH/USDT', 'SOL/USDT'],
    ['SOL/USDT', 'BTC/USDT', 'ETH/USDT'],
  ]);

  // A worker that takes the deployment over rebuilds the same pairs from the stored state.
  const [again] = await t.db.select().from(deployments).where(eq(deployments.id, deployment.id));
  expect((await loadRuntime(t.db, again!, rt.epoch)).portfolio!.symbols).toEqual(['SOL/USDT', 'BTC/USDT', 'ETH/USDT']);

  // BTC falls at H+4h: its strategy exits the position although BTC is off the list.
  now += HOUR;
  expect((await tickDeployment(t.db, rt, { now: clock })).barsProcessed).toBe(1);
  state = rt.row.runner as unknown as PortfolioMachineState;
  const btc = state.pairs.find((p) => p.symbol === 'BTC/USDT')!;
  expect([btc.quantity, btc.closedTrades], 'the off-list position was exited by its strategy').toEqual([0, 1]);
  const sells = await t.db
    .select()
    .from(orders)
    .where(and(eq(orders.deploymentId, deployment.id), eq(orders.symbol, 'BTC/USDT'), eq(orders.side, 'sell')));
  expect(sells.map((o) => o.status)).toEqual(['filled']);

  // The next tick drops the flat off-list pair: no more candles fetched for it, its trade stays in the totals.
  const fetchedBefore = btcCandleRequests();
  now += HOUR;
  expect((await tickDeployment(t.db, rt, { now: clock })).barsProcessed).toBe(1);
  state = rt.row.runner as unknown as PortfolioMachineState;
  expect(state.pairs.map((p) => p.symbol)).toEqual(['SOL/USDT', 'ETH/USDT']);
  expect(state.listOrder, 'ETH then SOL, renumbered').toEqual([1, 0]);
  expect(state.closedTrades).toBe(1);
  expect(rt.portfolio!.symbols).toEqual(['SOL/USDT', 'ETH/USDT']);
  expect(btcCandleRequests(), 'no candle request for BTC once dropped').toBe(fetchedBefore);
  expect((await getDeployment(t.db, userId, deployment.id, { now: clock })).positions.map((p) => p.symbol)).toEqual(['SOL/USDT', 'ETH/USDT']);

  // A tick reads the stored list at most once a minute: a list stored now is followed from the first tick a minute on.
  await t.db
    .update(deployments)
    .set({ strategy: sql`jsonb_set(${deployments.strategy}, '{symbols}', '["SOL/USDT"]'::jsonb)` })
    .where(eq(deployments.id, deployment.id));
  now += 1_000;
  await tickDeployment(t.db, rt, { now: clock });
  expect(rt.portfolio!.symbols, 'read 1 s ago: the list last read').toEqual(['SOL/USDT', 'ETH/USDT']);
  now += PAIR_LIST_READ_INTERVAL_MS;
  await tickDeployment(t.db, rt, { now: clock });
  expect(rt.portfolio!.symbols, 'a minute later: read again, ETH (flat) dropped').toEqual(['SOL/USDT']);
});
