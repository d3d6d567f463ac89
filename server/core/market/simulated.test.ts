import { describe, expect, it } from 'vitest';
import { createSimulatedMarket } from './simulated';
import { findGaps, validateCandles } from './validate';

const H = 3_600_000;
const origin = Date.UTC(2024, 0, 1);

describe('simulated market', () => {
  it('same seed → identical candles; another seed → different', () => {
    const a = createSimulatedMarket({ seed: 42, timeframe: '1h' }).candles(origin, origin + 500 * H);
    const b = createSimulatedMarket({ seed: 42, timeframe: '1h' }).candles(origin, origin + 500 * H);
    const c = createSimulatedMarket({ seed: 43, timeframe: '1h' }).candles(origin, origin + 500 * H);
    expect(a, 'deterministic for a seed').toEqual(b);
    expect(a[100]?.[4], 'a different seed walks elsewhere').not.toBe(c[100]?.[4]);
  });

  it('a candle does not depend on the range asked for (split requests = one request)', () => {
    const market = createSimulatedMarket({ seed: 7, timeframe: '5m' });
    const whole = market.candles(origin, origin + 2000 * 300_000);
    const later = market.candles(origin + 1500 * 300_000, origin + 2000 * 300_000);
    const earlier = market.candles(origin + 10 * 300_000, origin + 1500 * 300_000); // rewinds the cursor
    expect([...market.candles(origin, origin + 10 * 300_000), ...earlier], 'prefix pieces').toEqual(whole.slice(0, 1500));
    expect(later, 'suffix piece').toEqual(whole.slice(1500));
  });

  it('produces valid, aligned, gap-free candles in [start, end), with continuity open = previous close', () => {
    const market = createSimulatedMarket({ seed: 1, timeframe: '1h', startPrice: 100 });
    const start = origin + 3 * H;
    const rows = market.candles(start + 1, origin + 2003 * H); // an unaligned start rounds up
    const { accepted, rejected } = validateCandles(rows, '1h');
    expect(rejected, 'every simulated candle passes validation').toEqual([]);
    expect(accepted[0]?.[0], 'first candle is the first aligned time >= start').toBe(origin + 4 * H);
    expect(rows.length, '[start, end) at 1h').toBe(1999);
    expect(
      findGaps(
        accepted.map((r) => r[0]),
        '1h',
      ),
      'no holes',
    ).toEqual([]);
    expect(
      rows.slice(1).every((r, i) => r[1] === rows[i]![4]),
      'open equals the previous close',
    ).toBe(true);
  });

  it('has volatility regimes and jumps: the spread of returns varies over time and fat tails exist', () => {
    const logReturns = (jumpProbability: number) => {
      const rows = createSimulatedMarket({ seed: 3, timeframe: '1h', jumpProbability }).candles(origin, origin + 20_000 * H);
      return rows.slice(1).map((r, i) => Math.log(r[4] / rows[i]![4]));
    };
    const returns = logReturns(0.01);
    const windowStd = (from: number, length = 500, series = returns) => {
      const w = series.slice(from, from + length);
      const mean = w.reduce((s, x) => s + x, 0) / w.length;
      return Math.sqrt(w.reduce((s, x) => s + (x - mean) ** 2, 0) / w.length);
    };
    const stds = Array.from({ length: 39 }, (_, k) => windowStd(k * 500));
    expect(Math.max(...stds) / Math.min(...stds), 'regimes: the most turbulent stretch is far wilder than the calmest').toBeGreaterThan(2);
    const sigma = 0.6 * Math.sqrt(1 / (365 * 24)); // the normal regime's per-candle sigma
    const extreme = (series: number[]) => series.filter((x) => Math.abs(x) > 9 * sigma).length;
    expect(extreme(returns), 'jumps: moves beyond 9 sigma happen').toBeGreaterThan(40);
    expect(extreme(logReturns(0)), 'without jumps, 9-sigma moves are (almost) absent').toBeLessThan(10);
  });

  it('ticker and order book are consistent with the last price', () => {
    const market = createSimulatedMarket({ seed: 5, timeframe: '1m' });
    const last = market.candles(origin, origin + 60 * 60_000).at(-1)![4];
    const ticker = market.ticker(last, origin + 3_600_000);
    expect(ticker.bid < ticker.last && ticker.last < ticker.ask, 'bid < last < ask').toBe(true);
    const book = market.orderBook(last, origin + 3_600_000, 10);
    expect(book.bids[0]?.[0], 'best bid is the ticker bid').toBe(ticker.bid);
    expect(book.asks[0]?.[0], 'best ask is the ticker ask').toBe(ticker.ask);
    expect(
      book.bids.every((l, i) => i === 0 || l[0] < book.bids[i - 1]![0]),
      'bids descending',
    ).toBe(true);
    expect(
      book.asks.every((l, i) => i === 0 || l[0] > book.asks[i - 1]![0]),
      'asks ascending',
    ).toBe(true);
    expect(book.bids.length + book.asks.length, 'depth per side').toBe(20);
    expect(market.orderBook(last, origin + 3_600_000, 10), 'deterministic').toEqual(book);
  });
});
