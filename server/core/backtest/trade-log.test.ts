import { describe, expect, it } from 'vitest';
import { createStrategy } from '../strategies/registry';
import { runBacktest } from './engine';
import { EXIT_REASONS, FILL_ADD, FILL_ENTRY, FILL_EXIT, FILL_REASONS, FillLog, TradeLog } from './trade-log';
import { fixtureSeries } from '@/server/testing/fixtures';

/** Doubles of every kind: random bit patterns (any exponent and mantissa), signed zeros, extremes, non-finite. */
function awkwardDoubles(count: number, seed: number): number[] {
  const bits = new DataView(new ArrayBuffer(8));
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state;
  };
  const special = [0, -0, Number.MIN_VALUE, -Number.MIN_VALUE, Number.MAX_VALUE, Infinity, -Infinity, Number.NaN, 0.1, 1 / 3, 2 ** 53 + 2, 1.7e12];
  return Array.from({ length: count }, (_, k) => {
    if (k % 7 === 0) return special[(k / 7) % special.length]!;
    bits.setUint32(0, next());
    bits.setUint32(4, next());
    return bits.getFloat64(0);
  });
}

describe("TradeLog and FillLog (the engine result's compact storage)", () => {
  it('give back every stored double bit for bit, across chunk boundaries', () => {
    const values = awkwardDoubles(9 * 2500, 7);
    const trades = new TradeLog();
    const fills = new FillLog();
    for (let i = 0; i < 2500; i++) {
      const v = values.slice(i * 9, i * 9 + 9);
      trades.push(v[0]!, v[1]!, v[2]!, v[3]!, v[4]!, v[5]!, v[6]!, v[7]!, i % EXIT_REASONS.length);
      fills.push(i, v[0]!, v[1]!, v[2]!, i % FILL_REASONS.length);
    }
    expect(trades.length).toBe(2500);
    expect(fills.length).toBe(2500);
    for (let i = 0; i < 2500; i++) {
      const v = values.slice(i * 9, i * 9 + 9);
      const t = trades.at(i);
      const stored = [t.entryTime, t.exitTime, t.entryPrice, t.exitPrice, t.quantity, t.fee, t.pnl, t.pnlPct];
      for (let k = 0; k < 8; k++) expect(Object.is(stored[k], v[k]), `trade ${i} field ${k}: ${stored[k]} vs ${v[k]}`).toBe(true);
      expect(t.exitReason).toBe(EXIT_REASONS[i % EXIT_REASONS.length]);
      const f = fills.at(i);
      expect([f.index, Object.is(f.time, v[0]), Object.is(f.price, v[1]), Object.is(f.quantity, v[2]), f.reason]).toEqual([
        i,
        true,
        true,
        true,
        FILL_REASONS[i % FILL_REASONS.length],
      ]);
      expect(f.side, 'entry and add are buys, every exit reason a sell').toBe(i % FILL_REASONS.length < FILL_EXIT ? 'buy' : 'sell');
    }
    const columns = trades.columns();
    expect(
      Array.from(columns.pnl).every((x, i) => Object.is(x, values[i * 9 + 6])),
      'a column holds the same doubles',
    ).toBe(true);
    expect(columns.exitReason).toEqual(trades.toArray().map((t) => t.exitReason));
    expect(() => trades.at(2500), 'no row past the end').toThrow(RangeError);
    // rows() hands a log across an isolate boundary (scripts' sandbox): whole chunks and the partial last one, in order.
    const tradeRows = trades.rows();
    expect(tradeRows.length).toBe(2500 * 9);
    expect(
      Array.from(tradeRows).every((x, k) => k % 9 === 8 || Object.is(x, values[k])),
      'every stored double, in order',
    ).toBe(true);
    const rebuilt = TradeLog.fromRows(tradeRows);
    expect(rebuilt.length).toBe(2500);
    expect(rebuilt.rows(), 'rebuilt bit for bit').toEqual(tradeRows);
    expect(Object.is(rebuilt.at(2499).pnl, trades.at(2499).pnl), 'a row of the partial last chunk').toBe(true);
    rebuilt.push(1, 2, 3, 4, 5, 6, 7, 8, 0);
    expect([rebuilt.length, rebuilt.at(2500).exitTime], 'a rebuilt log grows like any other').toEqual([2501, 2]);
    expect(FillLog.fromRows(fills.rows()).toArray()).toEqual(fills.toArray());
    expect(FillLog.fromRows(fills.rows().subarray(0, 12)).length, 'whole rows only').toBe(2);
    expect(new TradeLog().rows()).toHaveLength(0);
    expect([FILL_REASONS[FILL_ENTRY], FILL_REASONS[FILL_ADD]]).toEqual(['entry', 'add']);
  });

  it("are what a run's trades and markers are built from, and the objects are built once", () => {
    const series = fixtureSeries('btc-usd-1h');
    const config = { initialCapital: 10_000, feeRate: 0.001, slippage: 0.0005, timeframe: '1h' };
    const result = runBacktest(series, createStrategy('dca', { intervalBars: 48, amountPerBuy: 250, takeProfitPct: 8, trailingStopPct: 4 }), config);
    expect(result.tradeLog.length, 'the run trades').toBeGreaterThan(10);
    expect(
      result.markers.some((m) => m.reason === 'add'),
      'DCA adds are fills too',
    ).toBe(true);
    expect(result.trades).toBe(result.trades);
    expect(result.markers).toBe(result.markers);
    expect(result.trades).toEqual(result.tradeLog.toArray());
    expect(result.markers).toEqual(result.fillLog.toArray());
    expect(result.metrics.tradeCount).toBe(result.tradeLog.length);
    // The objects have the documented keys, in the documented order (as the API and JSON show them).
    expect(Object.keys(result.trades[0]!)).toEqual(['entryTime', 'exitTime', 'entryPrice', 'exitPrice', 'quantity', 'fee', 'pnl', 'pnlPct', 'exitReason']);
    expect(Object.keys(result.markers[0]!)).toEqual(['index', 'time', 'side', 'price', 'quantity', 'reason']);
    for (const marker of result.markers) expect(series.time[marker.index], 'a marker sits on its bar').toBe(marker.time);
  });
});
