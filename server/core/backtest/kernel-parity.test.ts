import { describe, expect, it } from 'vitest';
import { runSmaCrossoverKernel } from '@/bench/kernels/sma-crossover-kernel';
import { createStrategy } from '../strategies/registry';
import { runBacktest } from './engine';
import { fixtureRows, fixtureSeries, refineCandles } from '@/server/testing/fixtures';
import { seriesFromRows } from '../candles';

/**
 * Real Coinbase series (about 20,000 candles each, with their gaps), and a long one: the 4h BTC/USD series
 * refined to 1h (82,780 candles over 2016-2025: real levels and gaps, linear steps inside each 4h candle).
 */
const SERIES = {
  'BTC/USD 1h': () => fixtureSeries('btc-usd-1h'),
  'BTC/USD 4h': () => fixtureSeries('btc-usd-4h'),
  'ETH/USD 4h': () => fixtureSeries('eth-usd-4h'),
  'BTC/USD 1h refined from 4h': () => seriesFromRows(refineCandles(fixtureRows('btc-usd-4h'), '4h', '1h')),
};

describe('the benchmark kernel computes exactly what the engine computes (sma_crossover)', () => {
  it.each([
    ['BTC/USD 1h', '1h', 10, 30, 100],
    ['BTC/USD 4h', '4h', 5, 50, 60],
    ['ETH/USD 4h', '4h', 10, 30, 100],
    ['BTC/USD 1h refined from 4h', '1h', 20, 100, 100],
  ] as const)('%s %s fast %i slow %i size %i%%', (name, timeframe, fastPeriod, slowPeriod, positionSizePct) => {
    const series = SERIES[name]();
    const config = { initialCapital: 10_000, feeRate: 0.001, slippage: 0.0005, timeframe };
    const engine = runBacktest(series, createStrategy('sma_crossover', { fastPeriod, slowPeriod, positionSizePct }), config);
    const kernel = runSmaCrossoverKernel(series, { fastPeriod, slowPeriod, positionSizePct }, config);
    expect(engine.trades.length, 'the run trades').toBeGreaterThan(20);
    expect(kernel.trades, 'identical trades, bit for bit').toEqual(engine.trades);
    expect(kernel.finalEquity, 'identical final equity').toBe(engine.equity[engine.equity.length - 1]);
    for (const [key, value] of Object.entries(engine.metrics)) {
      const other = kernel.metrics[key as keyof typeof kernel.metrics];
      if (value === null || other === null) {
        expect(other, `${key} null in both`).toBe(value);
        continue;
      }
      const relative = Math.abs(other - value) / Math.max(Math.abs(value), 1e-12);
      expect(relative, `${key}: engine ${value}, kernel ${other}`).toBeLessThanOrEqual(1e-9);
    }
  });
});
