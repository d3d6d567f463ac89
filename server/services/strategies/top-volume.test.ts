import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetAppConfig } from '@/server/config';
import { registerUser } from '@/server/services/auth/users';
import { BinanceTestServer, DEFAULT_SYMBOLS } from '@/server/testing/exchange/binance-test-server';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { createStrategyForUser, updateStrategyForUser } from './strategies';
import { previewTopVolumePairList } from './top-volume';

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

  it('previews a spec (the form’s list before saving): the list, empty for a quote nobody quotes, 503 when unreadable', async () => {
    expect(await previewTopVolumePairList('binance', { type: 'top_volume', n: 2, quote: 'usdt' })).toEqual({ symbols: ['SOL/USDT', 'BTC/USDT'] });
    expect(await previewTopVolumePairList('binance', { type: 'top_volume', n: 2, quote: 'EUR' }), 'the form’s empty state').toEqual({ symbols: [] });
    const failing = () => ({
      loadMarkets: () => Promise.reject(new Error('down')),
      fetchQuoteVolumes: () => Promise.reject(new Error('down')),
    });
    expect(
      await previewTopVolumePairList('binance', { type: 'top_volume', n: 2, quote: 'USDT' }, { marketData: failing }).catch((e: { code: string }) => e.code),
    ).toBe('UNAVAILABLE');
    expect(await previewTopVolumePairList('binance', { type: 'top_volume', n: 0, quote: 'USDT' }).catch((e: { code: string }) => e.code)).toBe('UNPROCESSABLE');
  });

  it('an edit may switch a strategy to a top-volume list (resolved then) and back to a list by hand', async () => {
    const strategy = await createStrategyForUser(t.db, userId, { ...base, name: 'edited', symbol: 'ETH/USDT' });
    const listed = await updateStrategyForUser(t.db, userId, strategy.id, {
      pairlist: { type: 'top_volume', n: 2, quote: 'USDT' },
      capital: { maxOpenPositions: 1 },
    });
    expect([listed.symbol, listed.symbols, listed.pairlist, listed.capital?.maxOpenPositions]).toEqual([
      'SOL/USDT',
      ['SOL/USDT', 'BTC/USDT'],
      { type: 'top_volume', n: 2, quote: 'USDT' },
      1,
    ]);
    const renamed = await updateStrategyForUser(t.db, userId, strategy.id, { name: 'renamed', capital: { maxOpenPositions: 2 } });
    expect([renamed.pairlist, renamed.capital?.maxOpenPositions], 'an edit without a market keeps the spec').toEqual([
      { type: 'top_volume', n: 2, quote: 'USDT' },
      2,
    ]);
    const byHand = await updateStrategyForUser(t.db, userId, strategy.id, { symbols: ['BTC/USDT', 'ETH/USDT'] });
    expect([byHand.symbols, byHand.pairlist], 'a list by hand replaces the exchange’s choice').toEqual([['BTC/USDT', 'ETH/USDT'], null]);
    expect(
      await updateStrategyForUser(t.db, userId, strategy.id, { symbols: ['BTC/USDT'], pairlist: { type: 'top_volume', n: 2, quote: 'USDT' } }).catch(
        (e: { details: { fields: Array<{ field: string }> } }) => e.details.fields[0]!.field,
      ),
    ).toBe('pairlist');
  });
});
