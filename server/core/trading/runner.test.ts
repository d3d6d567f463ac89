import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { seriesFromRows, type CandleSeries } from '../candles';
import { runBacktest } from '../backtest/engine';
import { createStrategy, listStrategyDefinitions } from '../strategies/registry';
import { DeploymentRunner, initialRunnerState, processBarOpen, processClosedBar, type RunnerOrder, type RunnerState, type RunnerTrade } from './runner';

const load = (file: string) => seriesFromRows(JSON.parse(readFileSync(path.resolve(process.cwd(), '../shared/data', file), 'utf8')) as number[][]);
const btc = load('binance/BTC_USDT-1h.json');
const params = { capital: 10_000, feeRate: 0.001, slippage: 0.0005 };

const variants: Array<[string, Record<string, unknown>]> = [
  ...listStrategyDefinitions().map((d): [string, Record<string, unknown>] => [d.type, {}]),
  ['sma_crossover', { fastPeriod: 5, slowPeriod: 20, stopLossPct: 2, takeProfitPct: 4 }],
  ['mean_reversion', { lookbackPeriod: 30, entryThreshold: 1.5, trailingStopPct: 3, positionSizePct: 50 }],
  ['ema_crossover', { stopLossPct: 1.5, trailingStopPct: 2.5 }],
  ['dca', { intervalBars: 48, amountPerBuy: 200, takeProfitPct: 10 }],
];

/** Drives a runner over the series as the worker does (fills by the fill model), with a restart every `restartEvery` bars. */
async function replay(series: CandleSeries, type: string, strategyParams: Record<string, unknown>, restartEvery = Infinity) {
  let state: RunnerState = initialRunnerState(params.capital);
  let runner = new DeploymentRunner(state, createStrategy(type, strategyParams), params);
  const trades: RunnerTrade[] = [];
  const orders: RunnerOrder[] = [];
  const execute = async (order: RunnerOrder) => DeploymentRunner.modelFill(order, params);
  for (let i = 0; i < series.length; i++) {
    if (i > 0 && i % restartEvery === 0) {
      // A new worker: the state comes back from JSON (Postgres), the strategy is a fresh instance.
      state = JSON.parse(JSON.stringify(state)) as RunnerState;
      runner = new DeploymentRunner(state, createStrategy(type, strategyParams), params);
    }
    const outcome = await processClosedBar(runner, series, i, execute, { isLast: i === series.length - 1 });
    trades.push(...outcome.trades);
    orders.push(...outcome.orders);
  }
  return { trades, orders, state };
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

describe.each(variants)('the deployment runner reproduces the backtest on real BTC/USDT 1h: %s %j', (type, strategyParams) => {
  it('trade for trade (times, prices, quantities, fees, pnl), and keeps the position the backtest sells at the end', async () => {
    const backtest = runBacktest(btc, createStrategy(type, strategyParams), { initialCapital: params.capital, feeRate: params.feeRate, slippage: params.slippage, timeframe: '1h' });
    const expected = backtest.trades.filter((t) => t.exitReason !== 'end');
    const { trades, state } = await replay(btc, type, strategyParams, 997);
    expect(trades.length, 'as many closed trades').toBe(expected.length);
    expect(backtest.trades.length, 'the strategy trades on this data').toBeGreaterThan(0);
    for (let k = 0; k < expected.length; k++) {
      const [want, got] = [expected[k]!, trades[k]!];
      expect([got.entryTime, got.exitTime, got.exitReason], `trade ${k} times and reason`).toEqual([want.entryTime, want.exitTime, want.exitReason]);
      for (const field of ['entryPrice', 'exitPrice', 'quantity', 'fee', 'pnl'] as const) {
        expect(close(got[field], want[field]), `trade ${k} ${field}: ${got[field]} vs ${want[field]}`).toBe(true);
      }
    }
    const endTrade = backtest.trades.find((t) => t.exitReason === 'end');
    if (endTrade) {
      expect(close(state.quantity, endTrade.quantity), 'the open position is the one the backtest closes at the end').toBe(true);
      expect(state.entryTime).toBe(endTrade.entryTime);
    } else expect(state.quantity).toBe(0);
  });
});

describe('the runner step by step', () => {
  const series = btc;
  it('fills a decision at the next bar open when the open is processed early, exactly as at its close', async () => {
    const early = new DeploymentRunner(initialRunnerState(10_000), createStrategy('sma_crossover', {}), params);
    const late = new DeploymentRunner(initialRunnerState(10_000), createStrategy('sma_crossover', {}), params);
    const execute = async (order: RunnerOrder) => DeploymentRunner.modelFill(order, params);
    for (let i = 0; i < 2000; i++) {
      const bar = { time: series.time[i]!, open: series.open[i]!, high: series.high[i]!, low: series.low[i]!, close: series.close[i]! };
      await processBarOpen(early, bar, execute);
      await processClosedBar(early, series, i, execute, { openDone: true });
      await processClosedBar(late, series, i, execute);
    }
    expect(early.state).toEqual(late.state);
    expect(early.state.closedTrades).toBeGreaterThan(0);
  });

  it('forgets a refused order, as a decision that never filled, and tries again on a later signal', async () => {
    const runner = new DeploymentRunner(initialRunnerState(10_000), createStrategy('sma_crossover', {}), params);
    let refused = 0;
    const execute = async (order: RunnerOrder) => {
      if (order.side === 'buy' && refused === 0) {
        refused++;
        return null;
      }
      return DeploymentRunner.modelFill(order, params);
    };
    for (let i = 0; i < 3000; i++) await processClosedBar(runner, series, i, execute);
    expect(refused).toBe(1);
    expect(runner.state.closedTrades, 'later signals still trade').toBeGreaterThan(0);
  });

  it('never buys more quote than it has: cost + fee of a 100% entry stays within the cash', () => {
    const runner = new DeploymentRunner(initialRunnerState(12_345.678), createStrategy('sma_crossover', {}), params);
    runner.state.pending = { side: 'buy', barTime: 0, intent: 'enter' };
    for (const open of [1, 3, 7.77, 64_123.45, 0.000123, 99_999.999]) {
      const order = runner.pendingOrder({ time: 1, open, high: open, low: open, close: open })!;
      const fill = DeploymentRunner.modelFill(order, params);
      expect(fill.price * fill.quantity + fill.fee).toBeLessThanOrEqual(12_345.678);
    }
  });

  it('rejects a capital that is not a positive number', () => {
    expect(() => initialRunnerState(0)).toThrow(/capital/);
    expect(() => initialRunnerState(Number.NaN)).toThrow(/capital/);
  });
});
