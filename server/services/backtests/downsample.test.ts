import { describe, expect, it } from 'vitest';
import { runBacktest } from '@/server/core/backtest';
import { createStrategy } from '@/server/core/strategies';
import { fixtureSeries } from '@/server/testing/fixtures';
import { downsampleChart, MAX_CHART_POINTS } from './downsample';

const series = fixtureSeries('btc-usd-1h');
const result = runBacktest(series, createStrategy('ema_crossover', {}), { initialCapital: 10_000, feeRate: 0.001, slippage: 0.0005, timeframe: '1h' });

describe('downsampleChart', () => {
  it('keeps a long series to ≤ 2,000 points with its first and last bar, extremes and worst drawdown', () => {
    expect(series.length, 'the real series is longer than the chart').toBeGreaterThan(MAX_CHART_POINTS);
    const chart = downsampleChart(series, result.equity);
    expect(chart.time.length).toBeLessThanOrEqual(MAX_CHART_POINTS);
    expect(chart.time.length, 'not downsampled to nothing').toBeGreaterThan(MAX_CHART_POINTS / 2);
    expect(chart.time[0]).toBe(series.time[0]);
    expect(chart.time.at(-1)).toBe(series.time[series.length - 1]);
    expect(chart.equity.at(-1)).toBe(result.equity[series.length - 1]);
    expect(
      chart.time.every((t, i) => i === 0 || t > chart.time[i - 1]!),
      'ascending, each bar once',
    ).toBe(true);
    expect(Math.max(...chart.drawdownPct), 'the deepest drawdown survives').toBeCloseTo(result.metrics.maxDrawdownPct, 9);
    expect(Math.max(...chart.close), 'the highest close survives').toBe(Math.max(...series.close));
    expect(Math.min(...chart.close), 'the lowest close survives').toBe(Math.min(...series.close));
    expect(Math.max(...chart.equity), 'the equity peak survives').toBe(Math.max(...result.equity));
    for (let k = 0; k < chart.time.length; k += 97) {
      const i = series.time.indexOf(chart.time[k]!);
      expect(chart.close[k], 'each point is a real bar').toBe(series.close[i]);
      expect(chart.equity[k]).toBe(result.equity[i]);
    }
  });

  it('keeps a short series whole', () => {
    const short = { ...series, length: 100, time: series.time.subarray(0, 100), close: series.close.subarray(0, 100) };
    const chart = downsampleChart(short, result.equity.subarray(0, 100));
    expect(chart.time).toEqual(Array.from(series.time.subarray(0, 100)));
  });
});
