import { describe, expect, it } from 'vitest';
import { fixtureRows, fixtureText } from '@/server/testing/fixtures';
import { guessSeries, medianClose, priceLevelsFarApart, splitPair, timeframeFromSpacing } from './guess';

const EXCHANGES = ['binance', 'coinbase', 'kraken', 'simulated'];
const H = 3_600_000;

describe('guessing a candle file’s series from its name and content', () => {
  it('reads exchange, symbol and timeframe from names like binance_BTCUSDT_1h.csv', () => {
    expect(guessSeries({ fileName: 'binance_BTCUSDT_1h.csv', exchanges: EXCHANGES })).toEqual({
      exchange: { value: 'binance', from: 'file name' },
      symbol: { value: 'BTC/USDT', from: 'file name' },
      timeframe: { value: '1h', from: 'file name' },
    });
    expect(guessSeries({ fileName: 'C:\\downloads\\Kraken-ETH-EUR-4H.json', exchanges: EXCHANGES })).toMatchObject({
      exchange: { value: 'kraken' },
      symbol: { value: 'ETH/EUR' },
      timeframe: { value: '4h' },
    });
    expect(guessSeries({ fileName: 'Coinbase-BTC-USD-PT4H-20160518_20251028.json', exchanges: EXCHANGES }), 'ISO 8601 duration').toMatchObject({
      exchange: { value: 'coinbase' },
      symbol: { value: 'BTC/USD' },
      timeframe: { value: '4h' },
    });
    expect(guessSeries({ fileName: 'solusdt-15m.csv', exchanges: EXCHANGES })).toEqual({
      symbol: { value: 'SOL/USDT', from: 'file name' },
      timeframe: { value: '15m', from: 'file name' },
    });
    expect(guessSeries({ fileName: 'candles.csv', exchanges: EXCHANGES }), 'nothing to guess: nothing claimed').toEqual({});
    expect(guessSeries({ fileName: 'binance_BTCUSDT_7h.csv', exchanges: EXCHANGES }).timeframe, 'not a timeframe exchanges serve').toBeUndefined();
  });

  it('prefers the content: the candle spacing over the name, and a CSV symbol column', () => {
    const fourHourly = JSON.stringify(fixtureRows('btc-usd-4h').slice(0, 500));
    expect(guessSeries({ fileName: 'binance_BTCUSDT_1h.json', content: fourHourly, exchanges: EXCHANGES }).timeframe, 'the spacing wins').toEqual({
      value: '4h',
      from: 'content',
    });
    const csv = fixtureText('btc-usd-1h');
    expect(guessSeries({ fileName: 'Coinbase_BTCUSD_1h.csv', content: csv, exchanges: EXCHANGES })).toEqual({
      exchange: { value: 'coinbase', from: 'file name' },
      symbol: { value: 'BTC/USD', from: 'content' },
      timeframe: { value: '1h', from: 'content' },
    });
    expect(guessSeries({ fileName: 'x.json', content: 'not json at all {', exchanges: EXCHANGES }), 'unreadable content guesses nothing').toEqual({});
  });

  it('helpers: pairs, spacing, medians and the price-level rule', () => {
    expect(splitPair('ethbtc')).toBe('ETH/BTC');
    expect(splitPair('BTC')).toBeNull();
    expect(timeframeFromSpacing([0, H, 2 * H, 3 * H, 5 * H])).toBe('1h');
    expect(timeframeFromSpacing([0, 7 * H, 14 * H]), '7h is no known timeframe').toBeNull();
    expect(
      medianClose([
        [0, 1, 1, 1, 3, 0],
        [1, 1, 1, 1, 1, 0],
        [2, 1, 1, 1, 2, 0],
      ]),
    ).toBe(2);
    expect(medianClose([])).toBeNull();
    expect(priceLevelsFarApart(150, 60_000), 'SOL prices against BTC').toBe(true);
    expect(priceLevelsFarApart(60_000, 150)).toBe(true);
    expect(priceLevelsFarApart(30_000, 60_000), 'a halving is a real market move').toBe(false);
    expect(priceLevelsFarApart(12_000, 60_000), 'exactly 5x apart is still accepted').toBe(false);
    expect(priceLevelsFarApart(12_000, 60_000.01), 'beyond 5x needs confirming').toBe(true);
  });
});
