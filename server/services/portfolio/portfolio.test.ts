import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deployments, equitySnapshots, fills, orders, strategies } from '@/db/schema';
import type { OhlcvRow } from '@/server/core/candles';
import { clearMarketCache, createCcxtExchange } from '@/server/exchange/ccxt-adapter';
import { BinanceTestServer, binanceApiUrls } from '@/server/testing/exchange/binance-test-server';
import { createAccount, type ExchangeConnector, type ExchangeOption } from '@/server/services/accounts';
import { registerUser } from '@/server/services/auth/users';
import { parseMasterKey } from '@/server/services/crypto';
import { placeOrder, recordFills, type PaperPriceSource } from '@/server/services/orders';
import { codeOf } from '@/server/testing/errors';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { getPortfolio } from './portfolio';
import type { AccountPortfolio } from './views';
import type { PortfolioDeps } from './valuation';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const MIDNIGHT = Date.UTC(2025, 5, 2); // 2025-06-02T00:00Z: "today" starts here
const NOW = MIDNIGHT + 12 * HOUR;
const KEY = parseMasterKey(randomBytes(32).toString('base64'));
const EXCHANGES: ExchangeOption[] = [{ id: 'binance', name: 'Binance', requiredCredentials: ['apiKey', 'secret'], unsupportedCredentials: [] }];

let t: TestDatabase;
let server: BinanceTestServer;
let alice: string;
let bob: string;

// The paper market: its latest price, and the candles pnlToday reads the midnight price from.
let latestPrice = 100;
let candles: OhlcvRow[] = [];
const feed: PaperPriceSource = {
  latest: async () => ({ price: latestPrice, timeMs: NOW, source: 'test feed' }),
  candlesSince: async (_symbol, sinceMs, untilMs) => candles.filter((c) => c[0] >= sinceMs && c[0] + MINUTE <= untilMs),
};
/** Accounts whose exchange is "down": their connector points at a port nothing listens on. */
const unreachable = new Set<string>();
const connect: ExchangeConnector = ({ exchangeId, accountId, credentials }) =>
  createCcxtExchange({
    exchangeId,
    accountId,
    credentials,
    timeoutMs: 1000,
    rateLimit: { perSecond: 1000, perMinute: 100_000 },
    urls: binanceApiUrls(unreachable.has(accountId) ? 'http://127.0.0.1:9' : server.baseUrl),
    retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
  });
const deps: PortfolioDeps = { prices: () => feed, clock: () => NOW, keys: [KEY], exchanges: () => EXCHANGES, connect };

async function paperAccount(userId: string, name: string, balances: Record<string, string>): Promise<string> {
  return (await createAccount(t.db, userId, { name, exchange: 'paper', balances, feeRate: '0.001', slippage: '0' }, {}, deps)).id;
}

/**
 * A market order through the real order path at `price`, its fill then dated `atMs` and the order created then
 * too, or at `bookedAtMs` (a replay: the fill carries the feed's time, the order the wall clock's).
 */
async function trade(
  userId: string,
  accountId: string,
  side: 'buy' | 'sell',
  quantity: string,
  price: number,
  atMs: number,
  extra: { deploymentId?: string; bookedAtMs?: number } = {},
): Promise<void> {
  latestPrice = price;
  const { bookedAtMs, ...input } = extra;
  const { order } = await placeOrder(t.db, userId, { accountId, symbol: 'BTC/USDT', side, type: 'market', quantity, ...input }, deps);
  expect(order.status, `the ${side} of ${quantity} fills at once`).toBe('filled');
  await t.db
    .update(fills)
    .set({ executedAt: new Date(atMs) })
    .where(eq(fills.orderId, order.id));
  await t.db
    .update(orders)
    .set({ createdAt: new Date(bookedAtMs ?? atMs) })
    .where(eq(orders.id, order.id));
}

function accountOf(portfolio: { accounts: AccountPortfolio[] }, accountId: string): AccountPortfolio {
  const account = portfolio.accounts.find((a) => a.accountId === accountId);
  if (!account) throw new Error(`account ${accountId} is not in the portfolio`);
  return account;
}

beforeAll(async () => {
  t = await createTestDatabase();
  server = await new BinanceTestServer({ balances: { USDT: '1000', BTC: '0.5', XYZ: '3' } }).start();
  clearMarketCache();
  alice = (await registerUser(t.db, { username: 'alice-pf', password: 'long enough pw' })).id;
  bob = (await registerUser(t.db, { username: 'bob-pf', password: 'long enough pw' })).id;
});
afterAll(async () => {
  await server?.close();
  await t?.destroy();
});
beforeEach(() => {
  latestPrice = 100;
  candles = [];
  unreachable.clear();
});

describe('a paper account traded through the order service', () => {
  // Fee 0.1%, no slippage: every fill is at the feed's price.
  //   yesterday 10:00 buy 2 @ 100: cost 200 + fee 0.2          → 2 BTC, cost basis 200.2, USDT 9799.8
  //   yesterday 14:00 buy 1 @ 130: cost 130 + fee 0.13         → 3 BTC, cost basis 330.33 (avg 110.11), USDT 9669.67
  //   today     09:00 sell 1.5 @ 120: 180 − fee 0.18 = 179.82  → cost sold 330.33 × 1.5/3 = 165.165, realized 14.655
  //                                                               1.5 BTC, cost basis 165.165, USDT 9849.49
  //   now: mark 140 → market value 210, unrealized 210 − 165.165 = 44.835; equity 9849.49 + 210 = 10059.49
  let accountId: string;
  beforeAll(async () => {
    accountId = await paperAccount(alice, 'avg cost', { USDT: '10000' });
    await trade(alice, accountId, 'buy', '2', 100, MIDNIGHT - 14 * HOUR);
    await trade(alice, accountId, 'buy', '1', 130, MIDNIGHT - 10 * HOUR);
    await trade(alice, accountId, 'sell', '1.5', 120, MIDNIGHT + 9 * HOUR);
  });

  it('positions by average cost, realized and unrealized P&L and equity, to the decimal', async () => {
    latestPrice = 140;
    const account = accountOf(await getPortfolio(t.db, alice, {}, deps), accountId);
    expect(account.positions, 'one open position, valued at the feed').toEqual([
      {
        symbol: 'BTC/USDT',
        baseCurrency: 'BTC',
        quoteCurrency: 'USDT',
        quantity: '1.5',
        costBasis: '165.165',
        averageEntryPrice: '110.11',
        markPrice: '140',
        markSource: 'test feed',
        mark: { symbol: 'BTC/USDT', price: '140', kind: 'feed', source: 'test feed', at: new Date(NOW).toISOString() },
        marketValue: '210',
        unrealizedPnl: '44.835',
        realizedPnl: '14.655',
        untrackedQuantitySold: '0',
        excludedFees: {},
        // A paper market the simulated market knows: its decimals (services/market-data/precision.ts).
        priceTick: '0.01',
        amountStep: '0.000001',
      },
    ]);
    expect(account.balances, 'the paper balances after the three fills').toEqual({
      BTC: { free: '1.5', used: '0', total: '1.5' },
      USDT: { free: '9849.49', used: '0', total: '9849.49' },
    });
    expect(account, 'account-level sums in USDT').toMatchObject({
      currency: 'USDT',
      equity: '10059.49',
      realizedPnl: '14.655',
      unrealizedPnl: '44.835',
      unpricedAssets: [],
      error: null,
      kind: 'paper',
    });
    expect(Number(account.realizedPnl) + Number(account.unrealizedPnl), 'all P&L = equity − the 10000 deposited').toBeCloseTo(59.49, 9);
  });

  it('pnlToday without a midnight snapshot: realized today + the change of unrealized since 00:00', async () => {
    latestPrice = 140;
    candles = [[MIDNIGHT - MINUTE, 125, 125, 125, 125, 1]]; // the price at 00:00 was 125
    const account = accountOf(await getPortfolio(t.db, alice, {}, deps), accountId);
    // At 00:00: 3 BTC, cost basis 330.33, worth 375 → unrealized 44.67. Now 44.835. Realized today 14.655.
    // 14.655 + (44.835 − 44.67) = 14.82 = equity now 10059.49 − equity at 00:00 (9669.67 + 3 × 125 = 10044.67).
    expect(account.pnlToday, 'realized today + unrealized change').toBe('14.82');
    expect(account.pnlTodayBasis).toBe('fills');

    candles = [];
    const withoutPrice = await getPortfolio(t.db, alice, {}, deps);
    const unknownMidnightPrice = accountOf(withoutPrice, accountId);
    expect(unknownMidnightPrice.pnlToday, 'a position held over midnight without a price at midnight: unknown, not a guess').toBeNull();
    expect(unknownMidnightPrice.pnlTodayBasis).toBeNull();
    expect(withoutPrice.totals.pnlToday, 'nor a total that silently leaves the account out').toBeNull();
  });

  it('pnlToday with a snapshot in the hour up to 00:00: equity now − that equity', async () => {
    latestPrice = 140;
    candles = [[MIDNIGHT - MINUTE, 125, 125, 125, 125, 1]];
    await t.db.insert(equitySnapshots).values([
      { userId: alice, accountId, time: new Date(MIDNIGHT - 2 * HOUR), currency: 'USDT', equity: '9000' },
      { userId: alice, accountId, time: new Date(MIDNIGHT + MINUTE), currency: 'USDT', equity: '9100' },
      { userId: alice, accountId, time: new Date(MIDNIGHT), currency: 'EUR', equity: '9200' },
    ]);
    const ignored = accountOf(await getPortfolio(t.db, alice, {}, deps), accountId);
    expect(ignored, 'too early, after midnight or in another currency: none of them is the baseline').toMatchObject({
      pnlToday: '14.82',
      pnlTodayBasis: 'fills',
    });

    await t.db.insert(equitySnapshots).values({ userId: alice, accountId, time: new Date(MIDNIGHT - 30 * MINUTE), currency: 'USDT', equity: '10050' });
    const account = accountOf(await getPortfolio(t.db, alice, {}, deps), accountId);
    expect(account, '10059.49 − 10050').toMatchObject({ pnlToday: '9.49', pnlTodayBasis: 'snapshot' });
    await t.db.delete(equitySnapshots).where(eq(equitySnapshots.accountId, accountId));
  });
});

describe("a replay: fills stamped in the feed's time", () => {
  it('count in pnlToday when they were booked (the wall clock), so pnlToday is the equity change since 00:00 UTC', async () => {
    const accountId = await paperAccount(alice, 'replayed', { USDT: '10000' });
    // A 2021 candle's fill, booked an hour ago: buy 1 @ 100 + fee 0.1 → 1 BTC, cost basis 100.1, USDT 9899.9.
    await trade(alice, accountId, 'buy', '1', 100, Date.UTC(2021, 0, 5), { bookedAtMs: NOW - HOUR });
    latestPrice = 110;
    const account = accountOf(await getPortfolio(t.db, alice, {}, deps), accountId);
    expect(account.equity, '9899.9 + 1 × 110').toBe('10009.9');
    expect(account.unrealizedPnl, '110 − 100.1').toBe('9.9');
    expect(account, 'equity now − the 10000 held at 00:00: the position did not exist then').toMatchObject({ pnlToday: '9.9', pnlTodayBasis: 'fills' });
  });
});

describe('edge cases of positions', () => {
  it('a sell larger than the tracked position realizes P&L on the tracked part only', async () => {
    // 1 BTC predates Cryptobot. buy 0.5 @ 100: cost basis 50 + 0.05 = 50.05.
    // sell 1.2 @ 110: 132 − fee 0.132 = 131.868; the tracked 0.5 is 0.5/1.2 of it = 54.945 → realized 54.945 − 50.05 = 4.895.
    const accountId = await paperAccount(alice, 'oversell', { USDT: '1000', BTC: '1' });
    await trade(alice, accountId, 'buy', '0.5', 100, NOW - 2 * HOUR);
    await trade(alice, accountId, 'sell', '1.2', 110, NOW - HOUR);
    latestPrice = 110;
    const account = accountOf(await getPortfolio(t.db, alice, {}, deps), accountId);
    expect(account.positions, 'the tracked position is closed').toEqual([]);
    expect(account.realizedPnl).toBe('4.895');
    expect(account.unrealizedPnl).toBe('0');
    expect(account.balances.BTC?.total, 'the balance still holds the rest of the older coins: 1 + 0.5 − 1.2').toBe('0.3');
    expect(account.equity, 'USDT 1000 − 50.05 + 131.868 = 1081.818, plus 0.3 × 110').toBe('1114.818');
    expect(account.pnlToday, 'both fills today: realized 4.895, nothing left unrealized').toBe('4.895');
  });

  it('an account without trades: equity is its balances at their marks, P&L zero', async () => {
    const accountId = await paperAccount(alice, 'idle', { USDT: '500', ETH: '2' });
    latestPrice = 3000;
    const account = accountOf(await getPortfolio(t.db, alice, {}, deps), accountId);
    expect(account).toMatchObject({ positions: [], equity: '6500', realizedPnl: '0', unrealizedPnl: '0', pnlToday: '0', pnlTodayBasis: 'fills' });
  });
});

describe('real exchange accounts', () => {
  it('are valued from the exchange: balances, ticker marks, positions from their fills; unlisted assets are unpriced', async () => {
    const account = await createAccount(
      t.db,
      alice,
      { name: 'binance live', exchange: 'binance', credentials: { apiKey: server.apiKey, secret: server.secret } },
      {},
      deps,
    );
    server.addKlines('BTCUSDT', '1h', [
      [MIDNIGHT - HOUR, 20500, 20500, 20500, 20500, 1],
      [NOW - HOUR, 21000, 21000, 21000, 21000, 1],
    ]);
    const { order } = await placeOrder(
      t.db,
      alice,
      { accountId: account.id, symbol: 'BTC/USDT', side: 'buy', type: 'limit', quantity: '0.01', price: '20000' },
      deps,
    );
    // Binance charges a buy's fee in the base received: 0.01 − 0.00001 = 0.00999 BTC for 200 USDT.
    await recordFills(t.db, order.id, [
      { tradeId: '1', quantity: '0.01', price: '20000', fee: { cost: '0.00001', currency: 'BTC' }, timeMs: MIDNIGHT - 5 * HOUR },
    ]);
    // Placed then too (the test's clock is in 2025): a fill counts for the day it was booked.
    await t.db
      .update(orders)
      .set({ createdAt: new Date(MIDNIGHT - 5 * HOUR) })
      .where(eq(orders.id, order.id));

    const view = accountOf(await getPortfolio(t.db, alice, {}, deps), account.id);
    expect(view.error).toBeNull();
    expect(view.balances, "the exchange's balances").toEqual({
      BTC: { free: '0.5', used: '0', total: '0.5' },
      USDT: { free: '800', used: '200', total: '1000' },
      XYZ: { free: '3', used: '0', total: '3' },
    });
    expect(view.positions, 'average entry 200 / 0.00999, rounded to 18 places').toEqual([
      expect.objectContaining({
        symbol: 'BTC/USDT',
        quantity: '0.00999',
        costBasis: '200',
        averageEntryPrice: '20020.02002002002002002',
        markPrice: '21000',
        markSource: 'binance ticker',
        marketValue: '209.79',
        unrealizedPnl: '9.79',
      }),
    ]);
    expect(view.equity, '1000 + 0.5 × 21000; XYZ has no XYZ/USDT market').toBe('11500');
    expect(view.unpricedAssets).toEqual(['XYZ']);
    // At 00:00 (the 23:00 candle's close, 20500): 0.00999 × 20500 − 200 = 4.795 unrealized; now 9.79.
    expect(view).toMatchObject({ pnlToday: '4.995', pnlTodayBasis: 'fills' });
  });

  it('an unreachable exchange: that account comes back with an error, the others are still valued', async () => {
    const down = await createAccount(
      t.db,
      bob,
      { name: 'binance down', exchange: 'binance', credentials: { apiKey: server.apiKey, secret: server.secret } },
      {},
      deps,
    );
    const paper = await paperAccount(bob, 'bob paper', { USDT: '250' });
    unreachable.add(down.id);
    const portfolio = await getPortfolio(t.db, bob, {}, deps);
    const failed = accountOf(portfolio, down.id);
    expect(failed, 'no equity, no guess').toMatchObject({ equity: null, balances: {}, positions: [], pnlToday: null, pnlTodayBasis: null });
    expect(failed.error?.kind, 'the network failure is named').toBe('retryable');
    expect(failed.error?.message).toMatch(/^binance: the exchange could not be reached/);
    expect(failed.error?.message, 'no credential in the message').not.toContain(server.secret);
    expect(accountOf(portfolio, paper).equity).toBe('250');
    expect(portfolio.totals, 'totals over the accounts that could be valued').toMatchObject({ equity: '250', accounts: 2, accountsWithErrors: 1 });
  });
});

describe('totals, scoping and the deployment filter', () => {
  it("totals add up the accounts; another user never sees them; another user's deployment is not found", async () => {
    const carol = (await registerUser(t.db, { username: 'carol-pf', password: 'long enough pw' })).id;
    const dave = (await registerUser(t.db, { username: 'dave-pf', password: 'long enough pw' })).id;
    const first = await paperAccount(carol, 'c1', { USDT: '1000' });
    const second = await paperAccount(carol, 'c2', { USDT: '2000' });
    const [strategy] = await t.db
      .insert(strategies)
      .values({ userId: carol, name: 's', type: 'sma_crossover', params: {}, exchange: 'paper', symbol: 'BTC/USDT', timeframe: '1h' })
      .returning();
    const [deployment] = await t.db
      .insert(deployments)
      .values({
        userId: carol,
        strategyId: strategy!.id,
        accountId: second,
        mode: 'paper',
        feed: { type: 'simulated' },
        strategy: { type: 'sma_crossover', params: {}, exchange: 'paper', symbol: 'BTC/USDT', timeframe: '1h' },
        capitalQuote: '1000',
      })
      .returning();
    // c1: buy 1 @ 100 (100.1 paid). c2: a manual buy 2 @ 100 (200.2) and a deployment buy 1 @ 200 (200.2).
    await trade(carol, first, 'buy', '1', 100, NOW - 3 * HOUR);
    await trade(carol, second, 'buy', '2', 100, NOW - 2 * HOUR);
    await trade(carol, second, 'buy', '1', 200, NOW - HOUR, { deploymentId: deployment!.id });
    latestPrice = 300;

    const portfolio = await getPortfolio(t.db, carol, {}, deps);
    expect(
      portfolio.accounts.map((a) => a.accountId),
      'both accounts, oldest first',
    ).toEqual([first, second]);
    // c1: 899.9 + 300 = 1199.9; unrealized 300 − 100.1 = 199.9. c2: 1599.6 + 900 = 2499.6; unrealized 900 − 400.4 = 499.6.
    expect(portfolio.totals).toEqual({
      currency: 'USDT',
      equity: '3699.5',
      realizedPnl: '0',
      unrealizedPnl: '699.5',
      pnlToday: '699.5',
      pnlTodayBasis: 'fills',
      accounts: 2,
      accountsWithErrors: 0,
    });
    expect(portfolio).toMatchObject({ asOf: new Date(NOW).toISOString(), dayStart: new Date(MIDNIGHT).toISOString(), currency: 'USDT', deploymentId: null });

    const onlyDeployment = await getPortfolio(t.db, carol, { deploymentId: deployment!.id }, deps);
    expect(
      onlyDeployment.accounts.map((a) => a.accountId),
      "the deployment's account only",
    ).toEqual([second]);
    expect(onlyDeployment.accounts[0]!.positions, "the deployment's own fill: 1 @ 200 + 0.2 fee").toEqual([
      expect.objectContaining({ quantity: '1', costBasis: '200.2', unrealizedPnl: '99.8' }),
    ]);
    expect(onlyDeployment.accounts[0]!.equity, 'balances and equity stay the whole account').toBe('2499.6');

    const other = await getPortfolio(t.db, dave, {}, deps);
    expect(other.accounts, "dave sees none of carol's accounts").toEqual([]);
    expect(other.totals).toMatchObject({ equity: '0', accounts: 0 });
    expect(await codeOf(getPortfolio(t.db, dave, { deploymentId: deployment!.id }, deps)), "carol's deployment, asked for by dave").toBe('NOT_FOUND');
    expect(await codeOf(getPortfolio(t.db, carol, { deploymentId: 'not-a-uuid' }, deps))).toBe('NOT_FOUND');
  });

  it('values in another currency when asked: assets without a price in it are listed, not guessed', async () => {
    const accountId = await paperAccount(bob, 'in btc', { USDT: '1000', BTC: '2' });
    const portfolio = await getPortfolio(
      t.db,
      bob,
      { currency: 'BTC' },
      { ...deps, prices: () => ({ ...feed, latest: async (symbol) => (symbol === 'USDT/BTC' ? null : feed.latest(symbol)) }) },
    );
    expect(accountOf(portfolio, accountId)).toMatchObject({ currency: 'BTC', equity: '2', unpricedAssets: ['USDT'] });
    expect(portfolio.currency).toBe('BTC');
  });
});

it('pnlToday counts only today: realized before midnight is not today', async () => {
  const eve = (await registerUser(t.db, { username: 'eve-pf', password: 'long enough pw' })).id;
  const accountId = await paperAccount(eve, 'yesterday', { USDT: '1000' });
  await trade(eve, accountId, 'buy', '1', 100, MIDNIGHT - 3 * HOUR);
  await trade(eve, accountId, 'sell', '1', 150, MIDNIGHT - 2 * HOUR);
  latestPrice = 150;
  const account = accountOf(await getPortfolio(t.db, eve, {}, deps), accountId);
  // 150 − 0.15 − 100.1 = 49.75 realized, all of it yesterday.
  expect(account).toMatchObject({ realizedPnl: '49.75', pnlToday: '0', pnlTodayBasis: 'fills', equity: '1049.75' });
});
