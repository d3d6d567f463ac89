import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OhlcvRow } from '@/server/core/candles';
import { createAccount } from '@/server/services/accounts';
import { registerUser } from '@/server/services/auth/users';
import { upsertCandles } from '@/server/services/market-data/candles';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { routerCaller } from '@/server/testing/trpc';
import { marketDataRouter } from './market-data';
import { ordersRouter } from './orders';
import { portfolioRouter } from './portfolio';

/**
 * One mark per market (server/services/orders/mark.ts): Markets, the order ticket's quote and the portfolio's
 * positions answer the same price, with the same kind, source and observation time.
 */
const callerFor = routerCaller({ marketData: marketDataRouter, orders: ordersRouter, portfolio: portfolioRouter });
const H = 3_600_000;
// The last stored candle closed half an hour ago at 61,234.5 (the simulated market would be near 60,000).
const LAST_CLOSE_MS = Math.floor(Date.now() / H) * H - H / 2;
const CANDLES: OhlcvRow[] = Array.from({ length: 30 }, (_, i) => {
  const open = LAST_CLOSE_MS - (30 - i) * H;
  const close = i === 29 ? 61_234.5 : 60_000 + i * 10;
  return [open, close - 5, close + 20, close - 20, close, 3 + i];
});

let t: TestDatabase;
let userId: string;
let accountId: string;

function caller() {
  return callerFor(t.db, userId);
}

beforeAll(async () => {
  t = await createTestDatabase();
  userId = (await registerUser(t.db, { username: 'marks', password: 'long enough pw' })).id;
  accountId = (await createAccount(t.db, userId, { name: 'Paper', exchange: 'paper', balances: { USDT: '10000' }, feeRate: '0.001', slippage: '0' })).id;
  await upsertCandles(t.db, { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' }, CANDLES);
});
afterAll(() => t?.destroy());

describe('the mark price of a market', () => {
  it('is the same price, kind, source and time on Markets, in the ticket and in the portfolio', async () => {
    const api = await caller();
    const expected = {
      symbol: 'BTC/USDT',
      price: '61234.5',
      kind: 'last candle',
      source: 'stored candles (binance 1h)',
      at: new Date(LAST_CLOSE_MS).toISOString(),
    };

    const quote = await api.orders.quote({ accountId, symbol: 'BTC/USDT' });
    expect(quote.mark, 'the ticket quotes the mark').toEqual(expected);
    expect(quote.price).toBe(expected.price);

    // Markets on a series without stored candles (the simulated exchange): the ticker still sits on the mark.
    const snapshot = await api.marketData.snapshot({ exchange: 'simulated', symbol: 'BTC/USDT', timeframe: '1h', depth: 5, limit: 50 });
    expect(snapshot.mark, 'Markets shows the same mark').toEqual(expected);
    expect(snapshot.quoteSource).toBe('simulated');
    expect(snapshot.ticker?.last, 'the simulated "Last" is the mark, not another random walk').toBe(61_234.5);

    const { order } = await api.orders.place({ accountId, symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: '0.01' });
    expect(order.status).toBe('filled');
    const portfolio = await api.portfolio.get();
    const [position] = portfolio.accounts[0]!.positions;
    expect(position?.mark, 'the dashboard position is valued at the same mark').toEqual(expected);
    expect(position?.markPrice).toBe(expected.price);
  });

  it('says "simulated" and how old it is when the simulated market prices a symbol without stored candles', async () => {
    const api = await caller();
    const quote = await api.orders.quote({ accountId, symbol: 'ETH/USDT' });
    expect(quote.mark?.kind, 'a symbol without stored candles is priced by the simulated market, and says so').toBe('simulated');
    expect(quote.mark?.source).toBe('simulated market');
    expect(Date.parse(quote.mark!.at), 'the simulated price is at most a minute old').toBeGreaterThan(Date.now() - 3 * 60_000);
  });
});
