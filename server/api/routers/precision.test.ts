import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount } from '@/server/services/accounts';
import { registerUser } from '@/server/services/auth/users';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { routerCaller } from '@/server/testing/trpc';
import { ordersRouter } from './orders';
import { portfolioRouter } from './portfolio';

/**
 * Orders, the ticket's quote and positions carry their market's precision (services/market-data/precision.ts)
 * through the procedures' .output schemas, so every screen shows a price on the tick and a quantity on the step.
 */
const callerFor = routerCaller({ orders: ordersRouter, portfolio: portfolioRouter });

let t: TestDatabase;
let userId: string;
let accountId: string;

function caller() {
  return callerFor(t.db, userId);
}

beforeAll(async () => {
  t = await createTestDatabase();
  userId = (await registerUser(t.db, { username: 'precision', password: 'long enough pw' })).id;
  accountId = (await createAccount(t.db, userId, { name: 'Paper', exchange: 'paper', balances: { USDT: '100000' }, feeRate: '0.001', slippage: '0' })).id;
});
afterAll(() => t?.destroy());

describe("a market's precision on the trading views", () => {
  it('an order, its quote and the position it opens carry the price tick and the amount step', async () => {
    const api = await caller();
    const BTC = { priceTick: '0.01', amountStep: '0.000001' };

    const quote = await api.orders.quote({ accountId, symbol: 'BTC/USDT' });
    expect(quote, "the ticket's quote: the paper market's tick and step (the simulated market's decimals)").toMatchObject(BTC);

    const { order } = await api.orders.place({ accountId, symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: '0.01' });
    expect(order, 'the placed order').toMatchObject(BTC);
    expect((await api.orders.list({ accountId }))[0], 'the listed order').toMatchObject(BTC);
    expect(await api.orders.get({ id: order.id }), "the order's detail (its fills show on the same tick and step)").toMatchObject(BTC);

    const portfolio = await api.portfolio.get({});
    const position = portfolio.accounts[0]!.positions.find((p) => p.symbol === 'BTC/USDT');
    expect(position, 'the position').toMatchObject({ quantity: '0.01', ...BTC });
  });

  it('a market of unknown precision says so (null): the screens show significant digits', async () => {
    const api = await caller();
    const { order } = await api.orders.place({ accountId, symbol: 'PEPE/USDT', side: 'buy', type: 'market', quantity: '1.5' });
    expect(order).toMatchObject({ priceTick: null, amountStep: null });
    const portfolio = await api.portfolio.get({});
    expect(portfolio.accounts[0]!.positions.find((p) => p.symbol === 'PEPE/USDT')).toMatchObject({ priceTick: null, amountStep: null });
  });
});
