import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExchangeError } from '@/server/exchange/errors';
import { getAccountBalance, listAccounts } from '@/server/services/accounts/accounts';
import { readCoverage } from '@/server/services/market-data/coverage';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { fixtureRows } from '@/server/testing/fixtures';
import { DEMO_PAPER_ACCOUNT, DEMO_USERNAME, seedDemo } from './seed';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.destroy());

const offline = () => ({
  async *fetchOhlcvHistory(): AsyncGenerator<never> {
    throw new ExchangeError('retryable', 'binance fetchOHLCV: getaddrinfo ENOTFOUND', { exchangeId: 'binance', operation: 'fetchOHLCV' });
  },
});

describe('the demo seed: a first run that works', () => {
  it('offline: the demo admin gets "Paper 10k" and the real Coinbase candles stored as coinbase BTC/USD 1h; once only', async () => {
    const rows = fixtureRows('btc-usd-1h');
    const offlineCandles = () => ({ key: { exchange: 'coinbase', symbol: 'BTC/USD', timeframe: '1h' }, rows });
    const first = await seedDemo(t.db, 'demo password 123', { exchangeFor: offline, offlineCandles });
    expect(first.created?.username).toBe(DEMO_USERNAME);
    expect(first.created?.role, 'the first account is the admin').toBe('admin');
    expect(first.marketData).toMatchObject({ seeded: true, source: 'offline', key: { exchange: 'coinbase', symbol: 'BTC/USD', timeframe: '1h' } });
    expect(first.paperAccount).toBe(DEMO_PAPER_ACCOUNT);

    const [coverage] = await readCoverage(t.db, { exchange: 'coinbase', symbol: 'BTC/USD', timeframe: '1h' });
    expect(coverage!.count, 'every candle of the file, labelled as what it is').toBe(rows.length);

    const accounts = await listAccounts(t.db, first.created!.id);
    expect(accounts.map((a) => [a.name, a.kind])).toEqual([['Paper 10k', 'paper']]);
    const balance = await getAccountBalance(t.db, first.created!.id, accounts[0]!.id);
    expect(Number(balance.balances.USD?.free), 'quote of the seeded market').toBe(10_000);
    expect(Number(balance.balances.USDT?.free), 'and USDT, the usual quote of the forms').toBe(10_000);

    const again = await seedDemo(t.db, 'demo password 123', { exchangeFor: offline, offlineCandles });
    expect(again, 'a second start seeds nothing').toMatchObject({ created: null, marketData: { seeded: false }, paperAccount: null });
    expect(await listAccounts(t.db, first.created!.id)).toHaveLength(1);
  });
});
