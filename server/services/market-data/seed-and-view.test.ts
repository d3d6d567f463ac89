import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { ExchangeError } from '@/server/exchange/errors';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { readCandleSeries, upsertCandles } from './candles';
import { getMarketSnapshot } from './market-view';
import { seedDemoMarketData } from './seed';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.destroy());

const H = 3_600_000;
const NOW = Date.UTC(2025, 5, 1, 12, 30);
const offline = () => ({
  async *fetchOhlcvHistory(): AsyncGenerator<never> {
    throw new ExchangeError('retryable', 'binance fetchOHLCV: getaddrinfo ENOTFOUND', { exchangeId: 'binance', operation: 'fetchOHLCV' });
  },
});

describe('demo seed', () => {
  it('offline: seeds a year of simulated BTC/USDT 1h under "simulated", deterministically, only once', async () => {
    const result = await seedDemoMarketData(t.db, { now: NOW, exchangeFor: offline });
    expect(result, 'falls back to the simulated market, clearly labelled').toMatchObject({
      seeded: true,
      source: 'simulated',
      key: { exchange: 'simulated', symbol: 'BTC/USDT', timeframe: '1h' },
    });
    expect(result.inserted, 'one year of hourly candles').toBe(365 * 24);
    const key = { exchange: 'simulated', symbol: 'BTC/USDT', timeframe: '1h' };
    const first = await readCandleSeries(t.db, key, 0, Number.MAX_SAFE_INTEGER);
    expect(first.time[first.length - 1], 'up to the last closed candle').toBe(Math.floor(NOW / H) * H - H);

    expect(await seedDemoMarketData(t.db, { now: NOW, exchangeFor: offline }), 'not again once candles exist').toEqual({ seeded: false });

    await t.db.execute(sql`delete from candles`);
    await seedDemoMarketData(t.db, { now: NOW, exchangeFor: offline });
    const second = await readCandleSeries(t.db, key, 0, Number.MAX_SAFE_INTEGER);
    expect(Array.from(second.close), 'seeded: the same candles every time').toEqual(Array.from(first.close));
  });
});

describe('Markets snapshot', () => {
  it('serves stored candles first, with a simulated ticker and book labelled as such', async () => {
    const key = { exchange: 'simulated', symbol: 'VIEW/USDT', timeframe: '1h' };
    await upsertCandles(
      t.db,
      key,
      Array.from({ length: 48 }, (_, i) => [i * H, 100 + i, 102 + i, 99 + i, 101 + i, 1] as [number, number, number, number, number, number]),
    );
    const snapshot = await getMarketSnapshot(t.db, { ...key, depth: 10, limit: 30 }, NOW);
    expect(snapshot.candleSource).toBe('stored');
    expect(snapshot.candles.length, 'the latest `limit` candles').toBe(30);
    expect(snapshot.candles.at(-1)![0]).toBe(47 * H);
    expect(snapshot.quoteSource).toBe('simulated');
    expect(snapshot.ticker!.last, 'around the last stored close').toBeCloseTo(148, 0);
    expect(snapshot.ticker!.change24hPct, '24h change from the candles: 148 vs open 24h earlier (124)').toBeCloseTo(((148 - 124) / 124) * 100, 0);
    expect(snapshot.orderBook!.bids.length, 'depth honoured').toBe(10);
    expect(snapshot.orderBook!.bids[0]![0]).toBeLessThan(snapshot.orderBook!.asks[0]![0]);
  });

  it('without stored candles and without a network, shows the simulated market and says so', async () => {
    const snapshot = await getMarketSnapshot(t.db, { exchange: 'simulated', symbol: 'ETH/USDT', timeframe: '15m', depth: 5, limit: 50 }, NOW);
    expect(snapshot.candleSource).toBe('simulated');
    expect(snapshot.candles.length).toBe(50);
    expect(snapshot.candles.at(-1)![0], 'the last closed 15m candle').toBe(Math.floor(NOW / 900_000) * 900_000 - 900_000);
    expect(snapshot.notice).toMatch(/simulated/);
  });

  it('a made-up market is "unknown market" (404), not a simulated chart; a stored one of any timeframe is known', async () => {
    const refused = await getMarketSnapshot(t.db, { exchange: 'simulated', symbol: 'FOO/BAR', timeframe: '1h', depth: 5, limit: 10 }, NOW).catch(
      (e: unknown) => e,
    );
    expect(refused).toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/^unknown market: FOO\/BAR/) });
    await upsertCandles(t.db, { exchange: 'simulated', symbol: 'FOO/BAR', timeframe: '4h' }, [[0, 1, 1, 1, 1, 1]]);
    const known = await getMarketSnapshot(t.db, { exchange: 'simulated', symbol: 'FOO/BAR', timeframe: '1h', depth: 5, limit: 10 }, NOW);
    expect(known.candleSource, 'stored under another timeframe: the market exists').toBe('simulated');
  });

  it('refuses an exchange that is not enabled, naming the field', async () => {
    await expect(getMarketSnapshot(t.db, { exchange: 'nosuchexchange', symbol: 'BTC/USDT', timeframe: '1h', depth: 5, limit: 10 })).rejects.toMatchObject({
      details: { fields: [{ field: 'exchange' }] },
    });
  });
});
