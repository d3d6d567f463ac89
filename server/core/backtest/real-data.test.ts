import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lowerBound, seriesFromRows, sliceByTime } from '../candles';
import { createStrategy, listStrategyDefinitions } from '../strategies/registry';
import { runBacktest } from './engine';

const rows = JSON.parse(readFileSync(path.resolve(process.cwd(), '../shared/data/binance/BTC_USDT-1h.json'), 'utf8')) as number[][];
const full = seriesFromRows(rows);
const config = { initialCapital: 10_000, feeRate: 0.001, slippage: 0.0005, timeframe: '1h' };

const variants: Array<[string, Record<string, unknown>]> = [
  ...listStrategyDefinitions().map((d): [string, Record<string, unknown>] => [d.type, {}]),
  ['sma_crossover', { fastPeriod: 5, slowPeriod: 20, stopLossPct: 2, takeProfitPct: 4 }],
  ['mean_reversion', { lookbackPeriod: 30, entryThreshold: 1.5, trailingStopPct: 3, positionSizePct: 50 }],
  ['dca', { intervalBars: 48, amountPerBuy: 200, takeProfitPct: 10 }],
];

describe.each(variants)('backtest on real BTC/USDT 1h: %s %j', (type, params) => {
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
        expect(trade.exitPrice, 'at or below the stop, after slippage').toBeLessThanOrEqual(trade.entryPrice * (1 - stopLossPct! / 100) * (1 - 0.0005) * (1 + 1e-12));
      }
      if (trade.exitReason === 'take_profit' && type !== 'dca') {
        expect(trade.exitPrice, 'at or above the target, after slippage').toBeGreaterThanOrEqual(trade.entryPrice * (1 + takeProfitPct! / 100) * (1 - 0.0005) * (1 - 1e-12));
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

  it('runs across the data gaps without filling them (equity has one value per stored bar)', () => {
    const result = runBacktest(full, createStrategy('sma_crossover', {}), config);
    expect(result.equity.length, 'one value per stored candle').toBe(full.length);
    let gaps = 0;
    for (let i = 1; i < full.length; i++) if (full.time[i]! - full.time[i - 1]! > 3_600_000) gaps++;
    expect(gaps, 'the data has its known gaps').toBe(6);
  });
});
