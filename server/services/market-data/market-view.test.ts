import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetAppConfig } from '@/server/config';
import type { OhlcvRow } from '@/server/core/candles';
import { clearMarketCache } from '@/server/exchange/ccxt-adapter';
import { BinanceTestServer } from '@/server/testing/exchange/binance-test-server';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { fixtureRows } from '@/server/testing/fixtures';
import { upsertCandles } from './candles';
import { getMarketSnapshot, listExchangeSymbols } from './market-view';

/**
 * The Markets view with "binance" pointed at the Binance test server the way a deployment does it:
 * through the config (CRYPTOBOT_EXCHANGE_URLS), not by handing the service a client.
 */
const H = 3_600_000;
const NOW = Math.floor(Date.now() / H) * H + 30 * 60_000;
// Real candles, moved so that the last closed one is the hour before NOW.
const REAL = fixtureRows('btc-usd-1h').slice(-100);
const RECENT: OhlcvRow[] = REAL.map((row, i) => [NOW - 30 * 60_000 - (REAL.length - 1 - i) * H, row[1], row[2], row[3], row[4], row[5]]);

let t: TestDatabase;
let server: BinanceTestServer;
const savedEnv = process.env.CRYPTOBOT_EXCHANGE_URLS;

beforeAll(async () => {
  t = await createTestDatabase();
  server = await new BinanceTestServer({ klines: { ETHUSDT: { '1h': RECENT }, BTCUSDT: { '1h': RECENT } } }).start();
  process.env.CRYPTOBOT_EXCHANGE_URLS = JSON.stringify({ binance: server.baseUrl });
  resetAppConfig();
  clearMarketCache();
});
afterAll(async () => {
  if (savedEnv === undefined) delete process.env.CRYPTOBOT_EXCHANGE_URLS;
  else process.env.CRYPTOBOT_EXCHANGE_URLS = savedEnv;
  resetAppConfig();
  await server?.close();
  await t?.destroy();
});

describe('Markets snapshot from the exchange in the config', () => {
  it('with nothing stored: candles, ticker and order book all come from the exchange', async () => {
    const snapshot = await getMarketSnapshot(t.db, { exchange: 'binance', symbol: 'ETH/USDT', timeframe: '1h', depth: 5, limit: 50 }, NOW);
    expect(snapshot).toMatchObject({ candleSource: 'live', quoteSource: 'live', notice: null });
    expect(snapshot.candles, "the exchange's closed candles, latest last").toEqual(RECENT.slice(-51, -1));
    expect(snapshot.ticker!.last, "the exchange's last price").toBe(RECENT.at(-1)![4]);
    expect(snapshot.ticker!.bid).toBeCloseTo(RECENT.at(-1)![4] - 0.01, 6);
    expect(snapshot.orderBook!.bids).toHaveLength(5);
    expect(snapshot.orderBook!.asks[0]![0]).toBeCloseTo(RECENT.at(-1)![4] + 0.01, 6);
    expect(snapshot.priceTick, "the exchange's price tick, for the page to show prices on").toMatch(/^0\.0*1$/);
    expect(server.count('GET', '/api/v3/klines'), 'the candles were asked of the test server').toBeGreaterThan(0);
  });

  it('stored candles come first; the quotes still come from the exchange', async () => {
    await upsertCandles(t.db, { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' }, RECENT.slice(0, 60));
    const snapshot = await getMarketSnapshot(t.db, { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h', depth: 5, limit: 10 }, NOW);
    expect(snapshot).toMatchObject({ candleSource: 'stored', quoteSource: 'live' });
    expect(snapshot.candles.at(-1)).toEqual(RECENT[59]);
  });

  it('a symbol the exchange does not list is "unknown market" (404, never a simulated chart), and does not make the exchange "unreachable"', async () => {
    const refused = await getMarketSnapshot(t.db, { exchange: 'binance', symbol: 'NOPE/USDT', timeframe: '1h', depth: 5, limit: 10 }, NOW).catch(
      (e: unknown) => e,
    );
    expect(refused).toMatchObject({ code: 'NOT_FOUND', message: 'unknown market: NOPE/USDT is not listed on binance' });

    const next = await getMarketSnapshot(t.db, { exchange: 'binance', symbol: 'ETH/USDT', timeframe: '1h', depth: 5, limit: 10 }, NOW);
    expect(next, 'the next market is asked of the exchange again').toMatchObject({ candleSource: 'live', quoteSource: 'live' });
  });

  it('an exchange that answers no recent candles is not shown as an empty live chart', async () => {
    const snapshot = await getMarketSnapshot(t.db, { exchange: 'binance', symbol: 'SOL/USDT', timeframe: '1h', depth: 5, limit: 10 }, NOW);
    expect(snapshot.candleSource).toBe('simulated');
    expect(snapshot.candles.length).toBe(10);
    expect(snapshot.notice).toMatch(/binance has no recent 1h candles of SOL\/USDT/);
    expect(snapshot.quoteSource, 'the ticker of a listed symbol is still live').toBe('live');
  });

  it("lists the exchange's markets for the strategy form's picker; the simulated exchange lists its known bases", async () => {
    const listed = await listExchangeSymbols('binance', NOW);
    expect(listed.available).toBe(true);
    expect(listed.symbols).toEqual(expect.arrayContaining(['BTC/USDT', 'ETH/USDT']));
    expect(listed.symbols, 'a made-up market is not offered').not.toContain('NOPE/USDT');
    expect((await listExchangeSymbols('simulated', NOW)).symbols).toContain('BTC/USDT');
    await expect(listExchangeSymbols('nosuchexchange', NOW)).rejects.toMatchObject({ details: { fields: [{ field: 'exchange' }] } });
  });
});
