import { describe, expect, it } from 'vitest';
import { lowerBound, seriesFromRows, sliceByTime } from '../candles';
import { createStrategy, listBarStrategyDefinitions } from '../strategies/registry';
import { runBacktest } from './engine';
import { fixtureRows, fixtureSeries } from '@/server/testing/fixtures';

// Coinbase BTC/USD 1h, 2017-07 → 2019-10: 20,106 candles with a 5-hour gap and 28 zero-volume candles.
const rows = fixtureRows('btc-usd-1h');
const full = seriesFromRows(rows);
const config = { initialCapital: 10_000, feeRate: 0.001, slippage: 0.0005, timeframe: '1h' };

const variants: Array<[string, Record<string, unknown>]> = [
  ...listBarStrategyDefinitions().map((d): [string, Record<string, unknown>] => [d.type, {}]),
  ['sma_crossover', { fastPeriod: 5, slowPeriod: 20, stopLossPct: 2, takeProfitPct: 4 }],
  ['mean_reversion', { lookbackPeriod: 30, entryThreshold: 1.5, trailingStopPct: 3, positionSizePct: 50 }],
  ['dca', { intervalBars: 48, amountPerBuy: 200, takeProfitPct: 10 }],
];

describe.each(variants)('backtest on real BTC/USD 1h: %s %j', (type, params) => {
  const result = runBacktest(full, createStrategy(type, params), config);
  const { trades, equity } = result;

  it('conserves money: final equity = initial capital + the sum of trade pnl', () => {
    const pnl = trades.reduce((sum, t) => sum + t.pnl, 0);
    const final = equity[equity.length - 1]!;
    expect(Math.abs(final - (10_000 + pnl)) / 10_000, 'no money appears or vanishes').toBeLessThan(1e-9);
    expect(trades.length, 'the strategy trades on this data').toBeGreaterThan(0);
  });

  it('fills on bar open times, one position at a time, in order', () => {
    let previousExit = -Infinity;
    for (const trade of trades) {
      expect(full.time[lowerBound(full.time, trade.entryTime)], 'entry time is a bar time').toBe(trade.entryTime);
      expect(full.time[lowerBound(full.time, trade.exitTime)], 'exit time is a bar time').toBe(trade.exitTime);
      expect(trade.entryTime, 'no overlap with the previous trade').toBeGreaterThanOrEqual(previousExit);
      expect(trade.exitTime, 'exits after entering, or on the same bar by a stop').toBeGreaterThanOrEqual(trade.entryTime);
      previousExit = trade.exitTime;
    }
  });

  it('fills each signal trade on the bar after the strategy signalled it', () => {
    const signals = createStrategy(type, params).generateSignals(full);
    for (const trade of trades) {
      const entryIndex = lowerBound(full.time, trade.entryTime);
      expect(signals[entryIndex - 1], `entry at bar ${entryIndex} follows an entry signal`).toBe(1);
      if (trade.exitReason === 'signal') {
        const exitIndex = lowerBound(full.time, trade.exitTime);
        expect(signals[exitIndex - 1], `exit at bar ${exitIndex} follows an exit signal`).toBe(-1);
      }
    }
  });

  it('respects stop and target prices', () => {
    const { stopLossPct, takeProfitPct } = createStrategy(type, params).params;
    for (const trade of trades) {
      if (trade.exitReason === 'stop_loss') {
        expect(trade.exitPrice, 'at or below the stop, after slippage').toBeLessThanOrEqual(
          trade.entryPrice * (1 - stopLossPct! / 100) * (1 - 0.0005) * (1 + 1e-12),
        );
      }
      if (trade.exitReason === 'take_profit' && type !== 'dca') {
        expect(trade.exitPrice, 'at or above the target, after slippage').toBeGreaterThanOrEqual(
          trade.entryPrice * (1 + takeProfitPct! / 100) * (1 - 0.0005) * (1 - 1e-12),
        );
      }
    }
  });

  it('gives the same result when the instance is reused', () => {
    const strategy = createStrategy(type, params);
    const first = runBacktest(full, strategy, config);
    const second = runBacktest(full, strategy, config);
    expect(second.trades, 'reset() between runs').toEqual(first.trades);
    expect(second.metrics, 'same metrics').toEqual(first.metrics);
  });
});

describe('windows over real data', () => {
  it('warms indicators up inside the window: a window backtest equals a backtest of just those rows', () => {
    const start = full.time[1000]!;
    const end = full.time[3000]!;
    const window = sliceByTime(full, start, end);
    const copied = seriesFromRows(rows.filter((r) => r[0]! >= start && r[0]! < end));
    const a = runBacktest(window, createStrategy('ema_crossover', {}), config);
    const b = runBacktest(copied, createStrategy('ema_crossover', {}), config);
    expect(window.length, 'start ≤ time < end').toBe(2000);
    expect(a.trades, 'nothing before the window leaks in').toEqual(b.trades);
    expect(a.trades[0]!.entryTime, 'no entry before the slow EMA warmed up in the window').toBeGreaterThan(full.time[1026]!);
  });

  it.each([
    ['1h', 1],
    ['4h', 3],
  ] as const)('runs across the data gaps without filling them (BTC/USD %s: equity has one value per stored bar)', (timeframe, knownGaps) => {
    const series = timeframe === '1h' ? full : fixtureSeries('btc-usd-4h');
    const result = runBacktest(series, createStrategy('sma_crossover', {}), { ...config, timeframe });
    expect(result.equity.length, 'one value per stored candle').toBe(series.length);
    expect(result.trades.length, 'it trades on both sides of the gaps').toBeGreaterThan(10);
    let gaps = 0;
    const step = timeframe === '1h' ? 3_600_000 : 14_400_000;
    for (let i = 1; i < series.length; i++) if (series.time[i]! - series.time[i - 1]! > step) gaps++;
    expect(gaps, 'the data has its known gaps').toBe(knownGaps);
  });
});
