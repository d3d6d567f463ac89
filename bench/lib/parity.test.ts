import { describe, expect, it } from 'vitest';
import { runBacktest } from '../../server/core/backtest/engine';
import { createStrategy } from '../../server/core/strategies/registry';
import { runSmaCrossoverKernel } from '../kernels/sma-crossover-kernel';
import { compareKernelToEngine } from './parity';
import { syntheticSeries } from './series';

describe('the bench’s kernel-vs-engine cross-check', () => {
  const series = syntheticSeries(20_000, 7);
  const config = { initialCapital: 10_000, feeRate: 0.001, slippage: 0.0005, timeframe: '1m' };
  const params = { fastPeriod: 10, slowPeriod: 30 };
  const engine = runBacktest(series, createStrategy('sma_crossover', params), config);

  it('passes when the kernel computes what the engine computes', () => {
    const check = compareKernelToEngine('same', engine, runSmaCrossoverKernel(series, params, config));
    expect(check.ok, check.detail).toBe(true);
  });

  it('fails (so the bench exits non-zero) when one trade or one metric differs', () => {
    const kernel = runSmaCrossoverKernel(series, params, config);
    const tamperedTrade = { ...kernel, trades: kernel.trades.map((t, k) => (k === 3 ? { ...t, pnl: t.pnl + 1e-9 } : t)) };
    expect(compareKernelToEngine('trade', engine, tamperedTrade).ok, 'a trade off by 1e-9 quote').toBe(false);
    const tamperedMetric = { ...kernel, metrics: { ...kernel.metrics, sharpeRatio: kernel.metrics.sharpeRatio * (1 + 1e-6) } };
    expect(compareKernelToEngine('metric', engine, tamperedMetric).ok, 'a metric off by 1e-6 relative').toBe(false);
  });

  it('gives the same synthetic candles for the same seed, with valid OHLC', () => {
    const again = syntheticSeries(20_000, 7);
    expect(Array.from(again.close), 'deterministic').toEqual(Array.from(series.close));
    for (let i = 0; i < series.length; i++) {
      const ok =
        series.high[i]! >= Math.max(series.open[i]!, series.close[i]!) && series.low[i]! <= Math.min(series.open[i]!, series.close[i]!) && series.low[i]! > 0;
      if (!ok) throw new Error(`invalid OHLC at ${i}`);
    }
  });
});
