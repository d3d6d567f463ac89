import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetAppConfig } from '@/server/config';
import { registerUser } from '@/server/services/auth/users';
import { BinanceTestServer, DEFAULT_SYMBOLS } from '@/server/testing/exchange/binance-test-server';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { createStrategyForUser } from './strategies';

let t: TestDatabase;
let server: BinanceTestServer;
let userId: string;
const savedEnv = process.env.CRYPTOBOT_EXCHANGE_URLS;

beforeAll(async () => {
  t = await createTestDatabase();
  userId = (await registerUser(t.db, { username: 'top-volume', password: 'correct horse battery' })).id;
  // Quote volume = last price (100 without klines) × 24 h volume: SOL first, then BTC, then ETH; one BTC-quoted market.
  server = await new BinanceTestServer({
    symbols: [
      { ...DEFAULT_SYMBOLS[0]!, volume24h: '5000' },
      { ...DEFAULT_SYMBOLS[1]!, volume24h: '2000' },
      { ...DEFAULT_SYMBOLS[2]!, volume24h: '9000' },
      { id: 'ETHBTC', base: 'ETH', quote: 'BTC', tickSize: '0.00001', stepSize: '0.001', minQty: '0.001', minNotional: '0.0001', volume24h: '99999' },
    ],
  }).start();
  process.env.CRYPTOBOT_EXCHANGE_URLS = JSON.stringify({ binance: server.baseUrl });
  resetAppConfig();
}, 60_000);

afterAll(async () => {
  if (savedEnv === undefined) delete process.env.CRYPTOBOT_EXCHANGE_URLS;
  else process.env.CRYPTOBOT_EXCHANGE_URLS = savedEnv;
  resetAppConfig();
  await server?.close();
  await t?.destroy();
});

const base = { type: 'sma_crossover', params: {}, exchange: 'binance', timeframe: '1h' };

describe('pairlist: top_volume, resolved from the local test exchange through ccxt', () => {
  it('takes the n markets quoting the quote currency with the highest 24 h quote volume, in that order, as the symbols', async () => {
    const strategy = await createStrategyForUser(t.db, userId, { ...base, name: 'top 2', pairlist: { type: 'top_volume', n: 2, quote: 'USDT' } });
    expect(strategy.symbols, 'SOL (900k) then BTC (500k); ETH (200k) and the BTC-quoted market left out').toEqual(['SOL/USDT', 'BTC/USDT']);
    const all = await createStrategyForUser(t.db, userId, { ...base, name: 'top 10', pairlist: { type: 'top_volume', n: 10, quote: 'usdt' } });
    expect(all.symbols, 'n larger than the markets: all of them').toEqual(['SOL/USDT', 'BTC/USDT', 'ETH/USDT']);
  });

  it('refuses bad input with a 422 naming the field', async () => {
    const issue = (pairlist: Record<string, unknown>) =>
      createStrategyForUser(t.db, userId, { ...base, name: 'bad', pairlist: pairlist as never }).then(
        () => 'accepted',
        (e: { code: string; details?: { fields?: Array<{ field: string }> } }) => `${e.code} ${e.details?.fields?.[0]?.field}`,
      );
    expect(await issue({ type: 'top_gainers', n: 2, quote: 'USDT' })).toBe('UNPROCESSABLE pairlist.type');
    expect(await issue({ type: 'top_volume', n: 0, quote: 'USDT' })).toBe('UNPROCESSABLE pairlist.n');
    expect(await issue({ type: 'top_volume', n: 2.5, quote: 'USDT' })).toBe('UNPROCESSABLE pairlist.n');
    expect(await issue({ type: 'top_volume', n: 2, quote: 'EUR' })).toBe('UNPROCESSABLE pairlist.quote');
    expect(await issue({ type: 'top_volume', n: 2, quote: '$$' })).toBe('UNPROCESSABLE pairlist.quote');
    expect(
      await createStrategyForUser(t.db, userId, { ...base, name: 'both', symbol: 'BTC/USDT', pairlist: { type: 'top_volume', n: 2, quote: 'USDT' } }).catch(
        (e: { details: { fields: Array<{ field: string }> } }) => e.details.fields[0]!.field,
      ),
    ).toBe('pairlist');
  });
});
