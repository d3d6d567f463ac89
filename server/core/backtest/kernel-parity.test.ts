import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSmaCrossoverKernel } from '../../../bench/kernels/sma-crossover-kernel';
import { seriesFromRows } from '../candles';
import { createStrategy } from '../strategies/registry';
import { runBacktest } from './engine';

function load(file: string) {
  const rows = JSON.parse(readFileSync(path.resolve(process.cwd(), '../shared/data/binance', file), 'utf8')) as number[][];
  return seriesFromRows(rows);
}

describe('the benchmark kernel computes exactly what the engine computes (sma_crossover)', () => {
  it.each([
    ['BTC_USDT-1h.json', '1h', 10, 30, 100],
    ['ETH_USDT-1h.json', '1h', 5, 50, 60],
    ['SOL_USDT-5m.json', '5m', 20, 100, 100],
  ] as const)('%s %s fast %i slow %i size %i%%', (file, timeframe, fastPeriod, slowPeriod, positionSizePct) => {
    const series = load(file);
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
