import { describe, expect, it } from 'vitest';
import { sliceByTime, type CandleSeries } from '../candles';
import { runPortfolioBacktest, type PortfolioConfig } from '../backtest/portfolio';
import { createStrategy } from '../strategies/registry';
import { fixtureSeries } from '@/server/testing/fixtures';
import { initialPortfolioState, PortfolioMachine, processPortfolioStep, type ActiveBar, type PortfolioOrder, type PortfolioRules } from './portfolio-machine';

const DAY = 86_400_000;
const btc = fixtureSeries('btc-usd-4h');
const eth = fixtureSeries('eth-usd-4h');
const start = Math.max(btc.time[0]!, eth.time[0]!) + 400 * DAY;
const end = start + 2 * 365 * DAY;
/** A third pair with holes: ETH's bars, every 7th missing (P1: a pair without a bar at a time takes no decision then). */
function withHoles(series: CandleSeries): CandleSeries {
  const keep: number[] = [];
  for (let i = 0; i < series.length; i++) if (i % 7 !== 3) keep.push(i);
  const pick = (column: Float64Array) => Float64Array.from(keep, (i) => column[i]!);
  return {
    length: keep.length,
    time: pick(series.time),
    open: pick(series.open),
    high: pick(series.high),
    low: pick(series.low),
    close: pick(series.close),
    volume: pick(series.volume),
  };
}
const pairs: Array<[string, CandleSeries]> = [
  ['BTC/USD', sliceByTime(btc, start, end)],
  ['ETH/USD', sliceByTime(eth, start, end)],
  ['XETH/USD', withHoles(sliceByTime(eth, start + 30 * DAY, end))],
];
const params = { fastPeriod: 8, slowPeriod: 21, stopLossPct: 3, trailingStopPct: 6 };
const config = { initialCapital: 10_000, feeRate: 0.001, slippage: 0.0005, timeframe: '4h' };

/** Drives the machine over the aligned steps as a deployment does, every order filled by the fill model. */
async function replay(rules: PortfolioRules): Promise<Array<PortfolioOrder & { price: number }>> {
  const strategies = pairs.map(() => createStrategy('sma_crossover', params));
  const machine = new PortfolioMachine(
    initialPortfolioState(
      config.initialCapital,
      pairs.map(([symbol]) => symbol),
    ),
    strategies,
    { capital: config.initialCapital, feeRate: config.feeRate, slippage: config.slippage, rules },
  );
  const filled: Array<PortfolioOrder & { price: number }> = [];
  const times = [...new Set(pairs.flatMap(([, s]) => Array.from(s.time)))].sort((a, b) => a - b);
  const cursors = pairs.map(() => 0);
  for (const t of times) {
    const active: ActiveBar[] = [];
    pairs.forEach(([, series], p) => {
      if (series.time[cursors[p]!] === t) active.push({ pair: p, series, index: cursors[p]!++ });
    });
    // The machine's state is plain JSON: a round trip through it between steps (a restarted worker) changes nothing.
    const state = JSON.parse(JSON.stringify(machine.state)) as typeof machine.state;
    Object.assign(machine.state, state);
    await processPortfolioStep(machine, t, active, async (order) => {
      const fill = PortfolioMachine.modelFill(order, config);
      filled.push({ ...order, price: fill.price });
      return fill;
    });
  }
  return filled;
}

describe('the portfolio machine against the portfolio engine', () => {
  for (const rules of [
    { maxOpenPositions: 1, stake: { type: 'equal_split' }, priority: 'list' },
    { maxOpenPositions: 2, stake: { type: 'pct_equity', pct: 40 }, priority: 'list' },
    { maxOpenPositions: 3, stake: { type: 'fixed', quote: 4000 }, priority: 'list' },
  ] satisfies PortfolioRules[]) {
    it(`fills the same orders, trade for trade across pairs (${rules.maxOpenPositions} slots, ${rules.stake.type} stakes)`, async () => {
      const backtest = runPortfolioBacktest(
        pairs.map(([symbol, series]) => ({ symbol, series, strategy: createStrategy('sma_crossover', params) })),
        { ...config, ...rules } as PortfolioConfig,
      );
      const expected = backtest.markers.filter((m) => m.reason !== 'end');
      const got = await replay(rules);
      expect(expected.length, 'the strategy trades every pair, with stops').toBeGreaterThan(60);
      expect(new Set(expected.map((m) => m.symbol)).size).toBe(3);
      expect(got.length).toBe(expected.length);
      for (let k = 0; k < got.length; k++) {
        const [g, w] = [got[k]!, expected[k]!];
        expect([g.symbol, g.side, g.fillBarTime], `fill ${k}`).toEqual([w.symbol, w.side, w.time]);
        expect(Math.abs(g.price - w.price) / w.price, `fill ${k} price`).toBeLessThan(1e-12);
        expect(Math.abs(g.quantity - w.quantity) / w.quantity, `fill ${k} quantity`).toBeLessThan(1e-9);
      }
    });
  }
});
