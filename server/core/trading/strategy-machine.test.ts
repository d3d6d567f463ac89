import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seriesFromRows, type CandleSeries } from '../candles';
import { runBacktest } from '../backtest/engine';
import { createStrategy, listBarStrategyDefinitions } from '../strategies/registry';
import {
  StrategyMachine,
  initialMachineState,
  processBarOpen,
  processClosedBar,
  type MachineOrder,
  type MachineState,
  type MachineTrade,
} from './strategy-machine';
import { fixtureSeries } from '@/server/testing/fixtures';

const btc = fixtureSeries('btc-usd-1h');
const params = { capital: 10_000, feeRate: 0.001, slippage: 0.0005 };

const variants: Array<[string, Record<string, unknown>]> = [
  ...listBarStrategyDefinitions().map((d): [string, Record<string, unknown>] => [d.type, {}]),
  ['sma_crossover', { fastPeriod: 5, slowPeriod: 20, stopLossPct: 2, takeProfitPct: 4 }],
  ['mean_reversion', { lookbackPeriod: 30, entryThreshold: 1.5, trailingStopPct: 3, positionSizePct: 50 }],
  ['ema_crossover', { stopLossPct: 1.5, trailingStopPct: 2.5 }],
  ['dca', { intervalBars: 48, amountPerBuy: 200, takeProfitPct: 10 }],
];

/** Drives a machine over the series as the worker does (fills by the fill model), with a restart every `restartEvery` bars. */
async function replay(series: CandleSeries, type: string, strategyParams: Record<string, unknown>, restartEvery = Infinity) {
  let state: MachineState = initialMachineState(params.capital);
  let machine = new StrategyMachine(state, createStrategy(type, strategyParams), params);
  const trades: MachineTrade[] = [];
  const orders: MachineOrder[] = [];
  const execute = async (order: MachineOrder) => StrategyMachine.modelFill(order, params);
  for (let i = 0; i < series.length; i++) {
    if (i > 0 && i % restartEvery === 0) {
      // A new worker: the state comes back from JSON (Postgres), the strategy is a fresh instance.
      state = JSON.parse(JSON.stringify(state)) as MachineState;
      machine = new StrategyMachine(state, createStrategy(type, strategyParams), params);
    }
    const outcome = await processClosedBar(machine, series, i, execute, { isLast: i === series.length - 1 });
    trades.push(...outcome.trades);
    orders.push(...outcome.orders);
  }
  return { trades, orders, state };
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

describe.each(variants)('the strategy machine reproduces the backtest on real BTC/USD 1h: %s %j', (type, strategyParams) => {
  it('trade for trade (times, prices, quantities, fees, pnl), and keeps the position the backtest sells at the end', async () => {
    const backtest = runBacktest(btc, createStrategy(type, strategyParams), {
      initialCapital: params.capital,
      feeRate: params.feeRate,
      slippage: params.slippage,
      timeframe: '1h',
    });
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

describe('the machine bar by bar', () => {
  const series = btc;
  it('fills a decision at the next bar open when the open is processed early, exactly as at its close', async () => {
    const early = new StrategyMachine(initialMachineState(10_000), createStrategy('sma_crossover', {}), params);
    const late = new StrategyMachine(initialMachineState(10_000), createStrategy('sma_crossover', {}), params);
    const execute = async (order: MachineOrder) => StrategyMachine.modelFill(order, params);
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
    const machine = new StrategyMachine(initialMachineState(10_000), createStrategy('sma_crossover', {}), params);
    let refused = 0;
    const execute = async (order: MachineOrder) => {
      if (order.side === 'buy' && refused === 0) {
        refused++;
        return null;
      }
      return StrategyMachine.modelFill(order, params);
    };
    for (let i = 0; i < 3000; i++) await processClosedBar(machine, series, i, execute);
    expect(refused).toBe(1);
    expect(machine.state.closedTrades, 'later signals still trade').toBeGreaterThan(0);
  });

  it('never buys more quote than it has: cost + fee of a 100% entry stays within the cash', () => {
    const machine = new StrategyMachine(initialMachineState(12_345.678), createStrategy('sma_crossover', {}), params);
    machine.state.pending = { side: 'buy', barTime: 0, intent: 'enter' };
    for (const open of [1, 3, 7.77, 64_123.45, 0.000123, 99_999.999]) {
      const order = machine.pendingOrder({ time: 1, open, high: open, low: open, close: open })!;
      const fill = StrategyMachine.modelFill(order, params);
      expect(fill.price * fill.quantity + fill.fee).toBeLessThanOrEqual(12_345.678);
    }
  });

  it('rejects a capital that is not a positive number', () => {
    expect(() => initialMachineState(0)).toThrow(/capital/);
    expect(() => initialMachineState(Number.NaN)).toThrow(/capital/);
  });
});

describe('the machine against the engine on random markets (property)', () => {
  // Random walks with gaps, flat stretches and spikes, random strategies and risk exits: whatever the
  // market, a replay through the machine (with a restart somewhere) closes the same trades as the backtest.
  const market = fc.record({
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    length: fc.integer({ min: 30, max: 400 }),
    volatility: fc.double({ min: 0.001, max: 0.08, noNaN: true }),
    flatEvery: fc.integer({ min: 0, max: 9 }),
  });
  const strategy = fc.oneof(
    fc.record({
      type: fc.constant('sma_crossover'),
      params: fc.record({ fastPeriod: fc.integer({ min: 2, max: 6 }), slowPeriod: fc.integer({ min: 7, max: 15 }) }),
    }),
    fc.record({
      type: fc.constant('ema_crossover'),
      params: fc.record({ fastPeriod: fc.integer({ min: 2, max: 6 }), slowPeriod: fc.integer({ min: 7, max: 15 }) }),
    }),
    fc.record({ type: fc.constant('rsi'), params: fc.record({ period: fc.integer({ min: 3, max: 10 }) }) }),
    fc.record({
      type: fc.constant('dca'),
      params: fc.record({ intervalBars: fc.integer({ min: 1, max: 5 }), amountPerBuy: fc.integer({ min: 50, max: 5000 }) }),
    }),
  );
  const risk = fc.record({
    stopLossPct: fc.option(fc.double({ min: 0.5, max: 10, noNaN: true }), { nil: undefined }),
    takeProfitPct: fc.option(fc.double({ min: 0.5, max: 10, noNaN: true }), { nil: undefined }),
    trailingStopPct: fc.option(fc.double({ min: 0.5, max: 10, noNaN: true }), { nil: undefined }),
    positionSizePct: fc.option(fc.integer({ min: 10, max: 100 }), { nil: undefined }),
  });

  function randomSeries({ seed, length, volatility, flatEvery }: { seed: number; length: number; volatility: number; flatEvery: number }) {
    let state = seed;
    const random = () => (state = (Math.imul(state, 48271) % 2147483647) >>> 0) / 2147483647;
    const rows: number[][] = [];
    let price = 100;
    let time = Date.UTC(2024, 0, 1);
    for (let i = 0; i < length; i++) {
      time += 3_600_000 * (random() < 0.05 ? 3 : 1); // a gap now and then: the next stored bar fills the decision
      const open = price;
      const flat = flatEvery > 0 && i % (flatEvery + 3) === 0;
      const close = flat ? open : Math.max(0.01, open * (1 + (random() - 0.5) * 2 * volatility));
      const high = Math.max(open, close) * (flat ? 1 : 1 + random() * volatility);
      const low = Math.min(open, close) * (flat ? 1 : 1 - random() * volatility);
      rows.push([time, open, high, low, close, 1 + random()]);
      price = close;
    }
    return seriesFromRows(rows);
  }

  it('closes the same trades, at the same times, prices, quantities and fees', async () => {
    await fc.assert(
      fc.asyncProperty(market, strategy, risk, fc.integer({ min: 5, max: 60 }), async (m, s, r, restartEvery) => {
        const series = randomSeries(m);
        const strategyParams: Record<string, unknown> = { ...s.params };
        for (const [key, value] of Object.entries(r)) if (value !== undefined) strategyParams[key] = value;
        const backtest = runBacktest(series, createStrategy(s.type, strategyParams), {
          initialCapital: params.capital,
          feeRate: params.feeRate,
          slippage: params.slippage,
          timeframe: '1h',
        });
        const expected = backtest.trades.filter((t) => t.exitReason !== 'end');
        const { trades, state } = await replay(series, s.type, strategyParams, restartEvery);
        expect(trades.length).toBe(expected.length);
        for (let k = 0; k < expected.length; k++) {
          const [want, got] = [expected[k]!, trades[k]!];
          expect([got.entryTime, got.exitTime, got.exitReason]).toEqual([want.entryTime, want.exitTime, want.exitReason]);
          for (const field of ['entryPrice', 'exitPrice', 'quantity', 'fee'] as const)
            expect(close(got[field], want[field]), `${field}: ${got[field]} vs ${want[field]}`).toBe(true);
          // P&L is a difference of two amounts (what the entry cost, what the exit brought): its precision is relative
          // to the larger of them, which on a trade that multiplied its money is the exit's.
          const notional = Math.max(want.entryPrice, want.exitPrice) * want.quantity;
          expect(Math.abs(got.pnl - want.pnl), `pnl: ${got.pnl} vs ${want.pnl}`).toBeLessThanOrEqual(1e-9 * Math.max(1, notional));
        }
        const endTrade = backtest.trades.find((t) => t.exitReason === 'end');
        expect(close(state.quantity, endTrade ? endTrade.quantity : 0)).toBe(true);
      }),
      { numRuns: 120 },
    );
  });
});
