import { describe, expect, it } from 'vitest';
import { seriesFromRows, sliceByTime, type CandleSeries } from '../candles';
import { BarStrategy } from '../strategies/bar-strategy';
import { createStrategy } from '../strategies/registry';
import type { BarContext, CommonParams } from '../strategies/types';
import { runBacktest } from './engine';
import { runPortfolioBacktest, validatePortfolio, type PortfolioConfig, type PortfolioPair } from './portfolio';
import { BacktestCancelledError } from './types';
import { fixtureSeries } from '@/server/testing/fixtures';

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

/** Bars from [open, high, low, close] at the given hour offsets (default 0, 1, 2, …). */
function bars(ohlc: number[][], hours?: number[]): CandleSeries {
  return seriesFromRows(ohlc.map((b, i) => [T0 + (hours?.[i] ?? i) * HOUR, b[0]!, b[1]!, b[2]!, b[3]!, 1]));
}

/** Says 'enter'/'exit' on given bar indices of its own series, with an optional entry score per bar. */
class ScriptedStrategy extends BarStrategy<CommonParams> {
  readonly warmup = 0;
  private index = -1;
  constructor(
    private readonly script: Record<number, 'enter' | 'exit'>,
    private readonly scores: Record<number, number> = {},
    risk: Partial<CommonParams> = {},
  ) {
    super({ positionSizePct: 100, stopLossPct: null, takeProfitPct: null, trailingStopPct: null, ...risk });
  }
  protected next(_series: CandleSeries, i: number): void {
    this.index = i;
  }
  protected entrySignal(): boolean {
    return this.script[this.index] === 'enter';
  }
  protected exitSignal(): boolean {
    return this.script[this.index] === 'exit';
  }
  protected resetState(): void {
    this.index = -1;
  }
  entryScore(ctx: BarContext): number {
    return this.scores[ctx.index] ?? Number.NaN;
  }
}

function expectClose(actual: number | undefined, expected: number, why: string) {
  expect(actual, why).toBeDefined();
  const relative = Math.abs(actual! - expected) / Math.max(Math.abs(expected), 1e-9);
  if (!(relative <= 1e-9)) expect.fail(`${why}: got ${actual}, expected ${expected}`);
}

const f = 0.001;
const s = 0.01;
const base = { initialCapital: 1000, feeRate: f, slippage: s, timeframe: '1h' };

// Three pairs, two slots. C has no bar at hour 2.
const A = bars([
  [100, 101, 99, 100],
  [102, 105, 101, 104],
  [96, 98, 95, 97],
  [97, 98, 96, 98],
  [98, 99, 97, 99],
]);
const B = bars([
  [50, 51, 49, 50],
  [51, 52, 50, 52],
  [53, 54, 52, 53],
  [54, 56, 53, 55],
  [56, 57, 55, 56],
]);
const C = bars(
  [
    [10, 11, 9, 10],
    [10, 11, 9, 10],
    [12, 13, 11, 12],
    [13, 14, 12, 14],
  ],
  [0, 1, 3, 4],
);

describe('runPortfolioBacktest: three pairs, two slots (hand-computed)', () => {
  // hour 0: A, B and C signal; two slots: A and B (list order) are admitted with E0 ÷ 2, C is dropped.
  // hour 1: A and B buy at the open. A signals exit, C signals entry: the pending exit frees a slot, so C is
  //         admitted with E1 ÷ 2 — but C has no bar at hour 2.
  // hour 2: A sells at the open. A signals entry again: no free slot (B held, C's entry still pending): dropped.
  // hour 3: C buys at its open, spending min(E1 ÷ 2, cash) = the cash (A's sale lost money).
  // hour 4: every pair's last bar: B and C are sold at the close (end of data).
  const pairs = (): PortfolioPair[] => [
    { symbol: 'A/USD', series: A, strategy: new ScriptedStrategy({ 0: 'enter', 1: 'exit', 2: 'enter' }) },
    { symbol: 'B/USD', series: B, strategy: new ScriptedStrategy({ 0: 'enter' }) },
    { symbol: 'C/USD', series: C, strategy: new ScriptedStrategy({ 0: 'enter', 1: 'enter' }) },
  ];
  const config: PortfolioConfig = { ...base, maxOpenPositions: 2, stake: { type: 'equal_split' } };
  const result = runPortfolioBacktest(pairs(), config);

  // The arithmetic, step by step.
  const stake0 = 1000 / 2;
  const buyA = 102 * (1 + s);
  const qA = stake0 / (buyA * (1 + f));
  const buyB = 51 * (1 + s);
  const qB = stake0 / (buyB * (1 + f));
  const cash1 = 1000 - (buyA * qA + f * buyA * qA) - (buyB * qB + f * buyB * qB);
  const equity1 = cash1 + qA * 104 + qB * 52;
  const stakeC = equity1 / 2;
  const sellA = 96 * (1 - s);
  const pnlA = sellA * qA - f * sellA * qA - (buyA * qA + f * buyA * qA);
  const cash2 = cash1 + sellA * qA - f * sellA * qA;
  const equity2 = cash2 + qB * 53;
  const buyC = 12 * (1 + s);
  const spendC = Math.min(stakeC, cash2);
  const qC = spendC / (buyC * (1 + f));
  const cash3 = cash2 - (buyC * qC + f * buyC * qC);
  const equity3 = cash3 + qB * 55 + qC * 12;
  const sellB = 56 * (1 - s);
  const pnlB = sellB * qB - f * sellB * qB - (buyB * qB + f * buyB * qB);
  const sellC = 14 * (1 - s);
  const pnlC = sellC * qC - f * sellC * qC - (buyC * qC + f * buyC * qC);
  const equity4 = cash3 + sellB * qB - f * sellB * qB + sellC * qC - f * sellC * qC;

  it('steps over the union of the bar times', () => {
    expect(Array.from(result.time), 'hours 0..4; C missing hour 2 does not remove the step').toEqual([0, 1, 2, 3, 4].map((h) => T0 + h * HOUR));
  });

  it('fills the admitted entries, drops the ones without a slot, and sizes stakes from equity at the decision', () => {
    expect(spendC, 'the case exercises min(stake, cash): the cash is the smaller').toBe(cash2);
    expect(
      result.trades.map((t) => [t.symbol, t.entryTime, t.exitTime, t.exitReason]),
      'A (signal exit at hour 2), then B and C sold at the end; C entered at hour 3, its first bar after the decision',
    ).toEqual([
      ['A/USD', T0 + HOUR, T0 + 2 * HOUR, 'signal'],
      ['B/USD', T0 + HOUR, T0 + 4 * HOUR, 'end'],
      ['C/USD', T0 + 3 * HOUR, T0 + 4 * HOUR, 'end'],
    ]);
    const [a, b, c] = result.trades;
    expectClose(a!.quantity, qA, 'A: stake E0 ÷ 2 = 500, fee on top');
    expectClose(a!.exitPrice, sellA, 'A sells at the open × (1 − s)');
    expectClose(a!.pnl, pnlA, 'A pnl');
    expectClose(b!.quantity, qB, 'B: stake E0 ÷ 2');
    expectClose(b!.exitPrice, sellB, 'B: end of data at the last close × (1 − s)');
    expectClose(b!.pnl, pnlB, 'B pnl');
    expectClose(c!.quantity, qC, 'C: min(E1 ÷ 2, cash) at its fill');
    expectClose(c!.entryPrice, buyC, 'C buys at its hour-3 open × (1 + s)');
    expectClose(c!.pnl, pnlC, 'C pnl');
    expect(
      result.markers.map((m) => [m.symbol, m.side, m.index]),
      'fills in order, each with its bar index in its own series',
    ).toEqual([
      ['A/USD', 'buy', 1],
      ['B/USD', 'buy', 1],
      ['A/USD', 'sell', 2],
      ['C/USD', 'buy', 2],
      ['B/USD', 'sell', 4],
      ['C/USD', 'sell', 3],
    ]);
  });

  it('records the portfolio equity at each close, with C valued only while held', () => {
    const expected = [1000, equity1, equity2, equity3, equity4];
    expected.forEach((e, k) => expectClose(result.equity[k], e, `equity at hour ${k}`));
  });

  it('reports the per-pair breakdown and portfolio metrics', () => {
    expect(result.pairs.map((p) => [p.symbol, p.tradeCount, p.winRatePct])).toEqual([
      ['A/USD', 1, 0],
      ['B/USD', 1, 100],
      ['C/USD', 1, 100],
    ]);
    expectClose(result.pairs[0]!.returnPct, (pnlA / 500) * 100, 'A return on the money it put in');
    expectClose(result.pairs[2]!.returnPct, (pnlC / spendC) * 100, 'C return on the money it put in');
    expectClose(result.pairs[1]!.contributionPct, (pnlB / 1000) * 100, 'B contribution = its pnl ÷ initial capital');
    const contributions = result.pairs.reduce((sum, p) => sum + p.contributionPct, 0);
    expectClose(contributions, result.metrics.totalReturnPct, 'the contributions add up to the total return');
    expectClose(result.metrics.totalReturnPct, (equity4 / 1000 - 1) * 100, 'total return from the portfolio equity');
    expect(result.metrics.tradeCount).toBe(3);
    expectClose(result.metrics.exposurePct, 80, 'held at the close of hours 1–4 (before the end-of-data sales)');
    expectClose(result.pairs[2]!.equity[1]!, 0, 'C flat at its hour-1 close');
    expectClose(result.pairs[2]!.equity[2]!, qC * 12 - spendC, 'C running contribution at its hour-3 close');
    expect(result.pairs[2]!.equity.length, 'per-pair equity: one value per bar of its own series').toBe(4);
  });

  it('is deterministic and leaves the strategies reusable', () => {
    const again = runPortfolioBacktest(pairs(), config);
    expect(Array.from(again.equity)).toEqual(Array.from(result.equity));
  });
});

describe('runPortfolioBacktest: priority, stakes, early end', () => {
  const flat = (n: number) => bars(Array.from({ length: n }, () => [100, 100, 100, 100]));

  it("priority 'score' admits the highest score first, ties by list order, NaN last", () => {
    const pairs: PortfolioPair[] = ['P0', 'P1', 'P2', 'P3'].map((symbol, p) => ({
      symbol,
      series: flat(3),
      strategy: new ScriptedStrategy({ 0: 'enter' }, { 0: [Number.NaN, 1, 5, 5][p]! }),
    }));
    const byScore = runPortfolioBacktest(pairs, { ...base, maxOpenPositions: 2, stake: { type: 'fixed', quote: 100 }, priority: 'score' });
    expect(new Set(byScore.trades.map((t) => t.symbol)), 'P2 and P3 score 5 (the highest)').toEqual(new Set(['P2', 'P3']));
    expect(
      byScore.markers.filter((m) => m.side === 'buy').map((m) => m.symbol),
      'fills in admission order: P2 before P3 (list order breaks the tie)',
    ).toEqual(['P2', 'P3']);
    const byList = runPortfolioBacktest(
      pairs.map((p) => ({ ...p, strategy: new ScriptedStrategy({ 0: 'enter' }) })),
      { ...base, maxOpenPositions: 2, stake: { type: 'fixed', quote: 100 } },
    );
    expect(
      byList.trades.map((t) => t.symbol),
      'list order: the first two',
    ).toEqual(['P0', 'P1']);
  });

  it('fixed and pct_equity stakes spend that quote, fee included, capped by the cash', () => {
    const pairs = (): PortfolioPair[] => ['X', 'Y', 'Z'].map((symbol) => ({ symbol, series: flat(3), strategy: new ScriptedStrategy({ 0: 'enter' }) }));
    const fixed = runPortfolioBacktest(pairs(), { ...base, maxOpenPositions: 3, stake: { type: 'fixed', quote: 400 } });
    const spent = fixed.trades.map((t) => t.entryPrice * t.quantity * (1 + f));
    expectClose(spent[0], 400, 'X spends 400');
    expectClose(spent[1], 400, 'Y spends 400');
    expectClose(spent[2], 200, 'Z gets the 200 left');
    const pct = runPortfolioBacktest(pairs(), { ...base, maxOpenPositions: 3, stake: { type: 'pct_equity', pct: 30 } });
    for (const trade of pct.trades) expectClose(trade.entryPrice * trade.quantity * (1 + f), 300, '30% of the equity at the decision (1000)');
  });

  it('sells a pair at its own last bar, freeing its slot for the others', () => {
    const short = bars([
      [100, 100, 100, 100],
      [100, 100, 100, 110],
    ]);
    const pairs: PortfolioPair[] = [
      { symbol: 'SHORT', series: short, strategy: new ScriptedStrategy({ 0: 'enter' }) },
      { symbol: 'LONG', series: flat(4), strategy: new ScriptedStrategy({ 0: 'enter', 1: 'enter' }) },
    ];
    const result = runPortfolioBacktest(pairs, { ...base, slippage: 0, maxOpenPositions: 1, stake: { type: 'equal_split' } });
    expect(result.trades.map((t) => [t.symbol, t.exitReason, t.exitTime])).toEqual([
      ['SHORT', 'end', T0 + HOUR],
      ['LONG', 'end', T0 + 3 * HOUR],
    ]);
    expectClose(result.trades[0]!.exitPrice, 110, 'sold at its last close');
  });

  it('rejects bad lists and settings, naming the entry', () => {
    const pair = (symbol: string): PortfolioPair => ({ symbol, series: flat(2), strategy: new ScriptedStrategy({}) });
    const config: PortfolioConfig = { ...base, maxOpenPositions: 2, stake: { type: 'equal_split' } };
    expect(() => validatePortfolio([pair('A'), pair('B'), pair('A')], config)).toThrow(/pairs\[2\].*pairs\[0\]/);
    expect(() => validatePortfolio([], config)).toThrow(/pairs/);
    expect(() => validatePortfolio([pair('A')], { ...config, maxOpenPositions: 0 })).toThrow(/maxOpenPositions/);
    expect(() => validatePortfolio([pair('A')], { ...config, stake: { type: 'pct_equity', pct: 120 } })).toThrow(/stake.pct/);
    expect(() => validatePortfolio([pair('A')], { ...config, stake: { type: 'fixed', quote: Number.NaN } })).toThrow(/stake.quote/);
    expect(
      () => validatePortfolio([{ symbol: 'A', series: flat(2), strategy: createStrategy('dca', {}) }], config),
      'DCA adds to positions: not over a pair list',
    ).toThrow(/pairs\[0\].*DCA/);
    expect(() => validatePortfolio([{ symbol: 'A', series: flat(2), strategy: createStrategy('rsi', {}) }], { ...config, priority: 'score' })).toThrow(
      /priority/,
    );
  });

  it('polls for cancellation', () => {
    const pairs: PortfolioPair[] = [{ symbol: 'A', series: flat(20_000), strategy: new ScriptedStrategy({}) }];
    expect(() => runPortfolioBacktest(pairs, { ...base, maxOpenPositions: 1, stake: { type: 'equal_split' } }, { shouldCancel: () => true })).toThrow(
      BacktestCancelledError,
    );
  });
});

describe('runPortfolioBacktest on real Coinbase 4h candles', () => {
  const btc = fixtureSeries('btc-usd-4h');
  const eth = fixtureSeries('eth-usd-4h');
  const config = { initialCapital: 10_000, feeRate: 0.001, slippage: 0.0005, timeframe: '4h' };
  const params = { fastPeriod: 10, slowPeriod: 30, stopLossPct: 3, trailingStopPct: 5 };

  it('one pair, one slot, the whole equity as stake: exactly the single-pair engine', () => {
    const single = runBacktest(btc, createStrategy('sma_crossover', params), config);
    const portfolio = runPortfolioBacktest([{ symbol: 'BTC/USD', series: btc, strategy: createStrategy('sma_crossover', params) }], {
      ...config,
      maxOpenPositions: 1,
      stake: { type: 'pct_equity', pct: 100 },
    });
    expect(single.trades.length, 'the strategy trades, with stops').toBeGreaterThan(100);
    expect(
      portfolio.trades.map(({ symbol: _symbol, ...t }) => t),
      'trade for trade, bit for bit',
    ).toEqual(single.trades);
    expect(Array.from(portfolio.equity), 'equity bar for bar').toEqual(Array.from(single.equity));
    expect(portfolio.metrics, 'the same metrics').toEqual(single.metrics);
    expect(Array.from(portfolio.time)).toEqual(Array.from(btc.time));
  });

  it('two pairs share the capital and each trades exactly as alone while it has a slot', () => {
    // ETH starts later than BTC in these files? Either way, a window where both have bars.
    const start = Math.max(btc.time[0]!, eth.time[0]!);
    const end = start + 2 * 365 * 86_400_000;
    const b = sliceByTime(btc, start, end);
    const e = sliceByTime(eth, start, end);
    const result = runPortfolioBacktest(
      [
        { symbol: 'BTC/USD', series: b, strategy: createStrategy('sma_crossover', params) },
        { symbol: 'ETH/USD', series: e, strategy: createStrategy('sma_crossover', params) },
      ],
      { ...config, maxOpenPositions: 2, stake: { type: 'equal_split' } },
    );
    const final = result.equity[result.equity.length - 1]!;
    const pnl = result.trades.reduce((sum, t) => sum + t.pnl, 0);
    expect(Math.abs(final - (10_000 + pnl)) / 10_000, 'no money appears or vanishes').toBeLessThan(1e-9);
    // With two slots for two pairs every signal gets a slot, so each pair's entries and exits are those of its
    // single-pair backtest (only the quantities differ).
    for (const [symbol, series] of [
      ['BTC/USD', b],
      ['ETH/USD', e],
    ] as const) {
      const alone = runBacktest(series, createStrategy('sma_crossover', params), config).trades;
      const mine = result.trades.filter((t) => t.symbol === symbol);
      expect(mine.length, `${symbol} trades`).toBeGreaterThan(10);
      expect(
        mine.map((t) => [t.entryTime, t.exitTime, t.exitReason]),
        `${symbol}: same round trips as alone`,
      ).toEqual(alone.map((t) => [t.entryTime, t.exitTime, t.exitReason]));
    }
    expect(result.pairs.map((p) => p.tradeCount).reduce((x, y) => x + y)).toBe(result.metrics.tradeCount);
  });
});
