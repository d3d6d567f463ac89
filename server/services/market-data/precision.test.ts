import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resetAppConfig } from '@/server/config';
import { clearMarketCache } from '@/server/exchange/ccxt-adapter';
import { BinanceTestServer, faults } from '@/server/testing/exchange/binance-test-server';
import { clearPrecisionCache, marketPrecision, precisionLookup, SIMULATED_AMOUNT_STEP } from './precision';

/**
 * A market's precision for the screens: real ccxt against the local Binance (its exchangeInfo filters →
 * ccxt's TICK_SIZE precision), the simulated market's decimals, null when unknown, one markets load per exchange.
 */
let server: BinanceTestServer;
const savedEnv = process.env.CRYPTOBOT_EXCHANGE_URLS;

beforeAll(async () => {
  server = await new BinanceTestServer().start();
  process.env.CRYPTOBOT_EXCHANGE_URLS = JSON.stringify({ binance: server.baseUrl });
  resetAppConfig();
});
beforeEach(() => {
  clearPrecisionCache();
  clearMarketCache();
});
afterAll(async () => {
  if (savedEnv === undefined) delete process.env.CRYPTOBOT_EXCHANGE_URLS;
  else process.env.CRYPTOBOT_EXCHANGE_URLS = savedEnv;
  resetAppConfig();
  await server?.close();
});

const loads = () => server.count('GET', '/api/v3/exchangeInfo');

describe('market precision', () => {
  it("a real exchange: ccxt's tick and lot step from the exchange's filters, loaded once per exchange", async () => {
    const before = loads();
    const precisionOf = await precisionLookup(['binance', 'binance']);
    expect(precisionOf('binance', 'BTC/USDT'), 'PRICE_FILTER tickSize and LOT_SIZE stepSize').toEqual({ priceTick: '0.01', amountStep: '0.00001' });
    expect(precisionOf('binance', 'ETH/USDT')).toEqual({ priceTick: '0.01', amountStep: '0.0001' });
    expect(precisionOf('binance', 'FOO/USDT'), 'a symbol the exchange does not list: unknown').toEqual({ priceTick: null, amountStep: null });
    expect(loads() - before, 'one markets load for the exchange').toBe(1);

    clearMarketCache(); // even with the adapter's markets forgotten, the precisions stay cached: no request per row or page
    for (let i = 0; i < 5; i++) expect(await marketPrecision('binance', 'SOL/USDT')).toEqual({ priceTick: '0.01', amountStep: '0.001' });
    expect(loads() - before, 'cached: no further markets load').toBe(1);
  });

  it("the simulated exchange and paper accounts: the simulated market's decimals", async () => {
    const precisionOf = await precisionLookup(['simulated', 'paper']);
    expect(precisionOf('simulated', 'BTC/USDT')).toEqual({ priceTick: '0.01', amountStep: SIMULATED_AMOUNT_STEP });
    expect(SIMULATED_AMOUNT_STEP).toBe('0.000001');
    expect(precisionOf('simulated', 'XRP/USDT'), 'a coin priced below 10: 4 decimals').toEqual({ priceTick: '0.0001', amountStep: '0.000001' });
    expect(precisionOf('paper', 'ETH/USDT')).toEqual({ priceTick: '0.01', amountStep: '0.000001' });
    expect(precisionOf('paper', 'PEPE/USDT'), 'a paper market the simulated market does not know: unknown').toEqual({ priceTick: null, amountStep: null });
  });

  it('unknown: an exchange that is not enabled', async () => {
    expect(await marketPrecision('nowhere', 'BTC/USDT')).toEqual({ priceTick: null, amountStep: null });
  });

  it('an exchange that does not answer never holds a page: null within the wait, then retried after a while', async () => {
    let now = 1_000_000;
    const clock = () => now;
    server.failNext({ method: 'GET', path: '/api/v3/exchangeInfo' }, faults.hang());
    const started = Date.now();
    expect(await marketPrecision('binance', 'BTC/USDT', { clock, waitMs: 200 }), 'unknown while the exchange is silent').toEqual({
      priceTick: null,
      amountStep: null,
    });
    expect(Date.now() - started, 'the page waited only the bounded time').toBeLessThan(1_500);
    // Once the silent load has failed, the failure is remembered: no new load for a minute.
    await expect
      .poll(async () => marketPrecision('binance', 'BTC/USDT', { clock, waitMs: 10_000 }), { timeout: 15_000 })
      .toEqual({
        priceTick: null,
        amountStep: null,
      });
    const afterFailure = loads();
    expect(await marketPrecision('binance', 'BTC/USDT', { clock })).toEqual({ priceTick: null, amountStep: null });
    expect(loads(), 'a failed load is not repeated at once').toBe(afterFailure);
    now += 61_000;
    expect(await marketPrecision('binance', 'BTC/USDT', { clock }), 'a retry runs in the background: still unknown at once').toEqual({
      priceTick: null,
      amountStep: null,
    });
    await expect.poll(() => marketPrecision('binance', 'BTC/USDT', { clock }), { timeout: 10_000 }).toEqual({ priceTick: '0.01', amountStep: '0.00001' });
    expect(loads(), 'retried after a minute').toBe(afterFailure + 1);
  });
});
