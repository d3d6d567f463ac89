import { describe, expect, it } from 'vitest';
import type { CandleSeries } from '../candles';
import { createStrategy } from '../strategies/registry';
import type { Decision, StrategyInstance } from '../strategies/types';
import { followPairList } from './portfolio-list';
import { initialPortfolioState, PortfolioMachine, processPortfolioStep, type ActiveBar, type PortfolioOrder } from './portfolio-machine';

const HOUR = 3_600_000;
const t0 = Date.UTC(2026, 0, 1);
const flat = (n: number): CandleSeries => {
  const time = Float64Array.from({ length: n }, (_, i) => t0 + i * HOUR);
  const price = new Float64Array(n).fill(100);
  return { length: n, time, open: price, high: price, low: price, close: price, volume: price };
};
const series = flat(10);
const common = createStrategy('sma_crossover', {}).params;

/** A strategy that says what it is told at each bar index (nothing otherwise). */
function scripted(script: Record<number, Decision>): StrategyInstance {
  return {
    params: { ...common, stopLossPct: null, takeProfitPct: null, trailingStopPct: null },
    warmup: 0,
    accumulates: false,
    fixedEntryQuote: null,
    reset: () => {},
    onBar: (ctx: { index: number }) => script[ctx.index] ?? null,
    shouldOpenPosition: () => false,
    shouldClosePosition: () => false,
    generateSignals: () => new Int8Array(0),
  } as unknown as StrategyInstance;
}

describe('a deployment following a refreshed pair list', () => {
  it('manages a leaving pair until its strategy exits it, never enters it again, and gives joining pairs the list priority', async () => {
    const state = initialPortfolioState(10_000, ['A/USDT', 'B/USDT']);
    const strategies = [scripted({ 0: 'enter', 3: 'exit', 5: 'enter' }), scripted({})];
    const rules = { maxOpenPositions: 2, stake: { type: 'fixed' as const, quote: 1_000 }, priority: 'list' as const };
    const orders: PortfolioOrder[] = [];
    const execute = async (order: PortfolioOrder) => {
      orders.push(order);
      return PortfolioMachine.modelFill(order, { feeRate: 0.001, slippage: 0 });
    };
    const step = async (index: number) => {
      const machine = new PortfolioMachine(state, strategies, { capital: 10_000, feeRate: 0.001, slippage: 0, rules });
      const active: ActiveBar[] = state.pairs.map((_, pair) => ({ pair, series, index }));
      return processPortfolioStep(machine, series.time[index]!, active, execute);
    };
    await step(0);
    await step(1);
    expect(state.pairs[0]!.quantity, 'A entered at bar 1').toBeGreaterThan(0);

    // The refresh: A leaves, C joins ahead of B (the list's order is the priority).
    expect(followPairList(state, ['C/USDT', 'B/USDT']), 'A holds: kept, off the list').toEqual({ joined: ['C/USDT'], left: ['A/USDT'], dropped: [] });
    strategies.push(scripted({ 2: 'enter' }));
    strategies[1] = scripted({ 2: 'enter' });
    expect(state.listOrder).toEqual([2, 1]);
    await step(2);
    await step(3);
    expect(
      orders.map((o) => `${o.symbol} ${o.side} @${(o.fillBarTime - t0) / HOUR}`),
      'one slot free (A still holds): C, first on the list, takes it; A exits on its own signal',
    ).toEqual(['A/USDT buy @1', 'C/USDT buy @3']);
    await step(4);
    await step(5);
    await step(6);
    expect(
      orders.slice(2).map((o) => `${o.symbol} ${o.side} @${(o.fillBarTime - t0) / HOUR}`),
      'A exited; its later "enter" is refused',
    ).toEqual(['A/USDT sell @4']);
    expect(state.pairs[0]!.quantity).toBe(0);
    expect(state.pairs[0]!.closedTrades).toBe(1);

    // C holds now; the next follow of the same list drops A (flat, off the list) and renumbers the rest.
    expect(followPairList(state, ['C/USDT', 'B/USDT'])).toEqual({ joined: [], left: [], dropped: ['A/USDT'] });
    expect(state.pairs.map((p) => p.symbol)).toEqual(['B/USDT', 'C/USDT']);
    expect(state.pairs[1]!.quantity, 'C’s position moved with it').toBeGreaterThan(0);
    expect(state.listOrder, 'C, then B, in the new indexes').toEqual([1, 0]);
    expect(state.closedTrades, 'A’s trade stays in the totals').toBe(1);
    expect(followPairList(state, ['C/USDT', 'B/USDT']), 'nothing more to do').toEqual({ joined: [], left: [], dropped: [] });
  });

  it('renumbers the admitted entries of the pairs after a dropped one', () => {
    const state = initialPortfolioState(10_000, ['A/USDT', 'B/USDT', 'C/USDT']);
    state.admitted = [
      { pair: 2, stake: 500, barTime: t0 },
      { pair: 1, stake: 400, barTime: t0 },
    ];
    expect(followPairList(state, ['B/USDT', 'C/USDT'])).toEqual({ joined: [], left: ['A/USDT'], dropped: ['A/USDT'] });
    expect(
      state.admitted.map((e) => [state.pairs[e.pair]!.symbol, e.stake]),
      'each entry still points at its own pair',
    ).toEqual([
      ['C/USDT', 500],
      ['B/USDT', 400],
    ]);
    expect(state.listOrder).toBeUndefined();
  });

  it('drops a leaving flat pair with its admitted entry, takes it back as a new pair, and forgets the order when the list is the pairs again', () => {
    const state = initialPortfolioState(10_000, ['A/USDT', 'B/USDT']);
    state.admitted = [{ pair: 0, stake: 500, barTime: t0 }];
    expect(followPairList(state, ['B/USDT']), 'A left flat: dropped at once').toEqual({ joined: [], left: ['A/USDT'], dropped: ['A/USDT'] });
    expect(state.admitted, 'A left before its entry filled').toEqual([]);
    expect(state.pairs.map((p) => p.symbol)).toEqual(['B/USDT']);
    expect(followPairList(state, ['A/USDT', 'B/USDT']), 'A comes back as a new pair').toEqual({ joined: ['A/USDT'], left: [], dropped: [] });
    expect(state.listOrder, 'A first on the list, last in the state').toEqual([1, 0]);
    expect(followPairList(state, ['B/USDT', 'A/USDT'])).toEqual({ joined: [], left: [], dropped: [] });
    expect(state.listOrder, 'the pairs in their own order').toBeUndefined();
  });
});
