import { describe, expect, it } from 'vitest';
import type { BacktestMetrics, BacktestTrade } from '../backtest/types';
import { seriesFromRows } from '../candles';
import { getStrategyDefinition } from '../strategies';
import {
  axisPmf,
  bestTrial,
  buildAxes,
  DAY_MS,
  neighbourhood,
  objectiveScore,
  planFolds,
  PROFIT_FACTOR_CAP,
  stitchOutOfSample,
  WalkForwardError,
  WalkForwardSearch,
  walkForwardEfficiency,
  type SearchAxis,
} from './walk-forward';

const H = 3_600_000;
const S = Date.parse('2024-01-01T00:00:00Z');

function fieldOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(WalkForwardError);
    return (error as WalkForwardError).field;
  }
  throw new Error('expected a WalkForwardError');
}

describe('planFolds', () => {
  it('cuts a count into F + 1 equal whole-bar segments, rolling and anchored', () => {
    // 10 days of 1h bars = 240 bars; 3 folds → 4 segments of 60 bars.
    const rolling = planFolds(S, S + 10 * DAY_MS, H, 3, false);
    expect(rolling).toEqual(
      [0, 1, 2].map((k) => ({
        inSample: { start: S + k * 60 * H, end: S + (k + 1) * 60 * H },
        outOfSample: { start: S + (k + 1) * 60 * H, end: S + (k + 2) * 60 * H },
      })),
    );
    const anchored = planFolds(S, S + 10 * DAY_MS, H, 3, true);
    expect(
      anchored.map((f) => f.inSample.start),
      'anchored in-samples all start at S',
    ).toEqual([S, S, S]);
    expect(anchored[2]!.inSample.end).toBe(S + 180 * H);
    // 241 bars: the remainder bar is left out.
    expect(planFolds(S, S + 241 * H, H, 3, false)[2]!.outOfSample.end).toBe(S + 240 * H);
  });

  it('places length folds at S + k × step while the out-of-sample end stays within the range', () => {
    // 30 days, IS 10, OOS 5, step 5: folds at 0, 5, 10, 15 (15 + 10 + 5 = 30 fits; 20 + 15 = 35 does not).
    const folds = planFolds(S, S + 30 * DAY_MS, H, { inSampleDays: 10, outOfSampleDays: 5, stepDays: 5 }, false);
    expect(folds).toHaveLength(4);
    expect(folds[3]).toEqual({ inSample: { start: S + 15 * DAY_MS, end: S + 25 * DAY_MS }, outOfSample: { start: S + 25 * DAY_MS, end: S + 30 * DAY_MS } });
    // Fractional days round down to whole bars: 1.5 days of 1h bars is 36 bars, 0.99 of a 1d bar is none.
    expect(planFolds(S, S + 30 * DAY_MS, H, { inSampleDays: 1.52, outOfSampleDays: 1 }, false)[0]!.inSample.end).toBe(S + 36 * H);
    expect(fieldOf(() => planFolds(S, S + 30 * DAY_MS, DAY_MS, { inSampleDays: 0.99, outOfSampleDays: 1 }, false))).toBe('folds.inSampleDays');
    expect(fieldOf(() => planFolds(S, S + 10 * DAY_MS, H, { inSampleDays: 10, outOfSampleDays: 5 }, false))).toBe('folds');
    expect(fieldOf(() => planFolds(S, S + 3 * H, H, 3, false))).toBe('folds');
  });
});

describe('buildAxes', () => {
  const sma = getStrategyDefinition('sma_crossover');
  const base = { fastPeriod: 10, slowPeriod: 30 };
  it('expands ranges, sorts numeric lists and names the field of each mistake', () => {
    const axes = buildAxes(sma, { fastPeriod: { min: 5, max: 15, step: 5 }, slowPeriod: [40, 20, 20] }, base);
    expect(axes).toEqual([
      { name: 'fastPeriod', values: [5, 10, 15], ordinal: true },
      { name: 'slowPeriod', values: [20, 40], ordinal: true },
    ]);
    expect(fieldOf(() => buildAxes(sma, {}, base))).toBe('space');
    expect(fieldOf(() => buildAxes(sma, { nope: [1] }, base))).toBe('space.nope');
    expect(fieldOf(() => buildAxes(sma, { fastPeriod: [] }, base))).toBe('space.fastPeriod');
    expect(fieldOf(() => buildAxes(sma, { fastPeriod: { min: 5, max: 1, step: 1 } }, base))).toBe('space.fastPeriod');
    expect(fieldOf(() => buildAxes(sma, { fastPeriod: [2.5] }, base))).toBe('space.fastPeriod');
  });
});

const metrics = (m: Partial<BacktestMetrics>): BacktestMetrics => ({
  totalReturnPct: 0,
  cagrPct: 0,
  sharpeRatio: 0,
  sortinoRatio: 0,
  maxDrawdownPct: 0,
  calmarRatio: 0,
  tradeCount: 5,
  winRatePct: 0,
  profitFactor: 1,
  averageTradePct: 0,
  exposurePct: 0,
  buyAndHoldReturnPct: 0,
  ...m,
});

describe('objective and choice', () => {
  it('scores each objective by hand and refuses runs below minTrades', () => {
    const m = metrics({ totalReturnPct: 12, maxDrawdownPct: 4, sharpeRatio: 1.5, profitFactor: null });
    const opts = { drawdownWeight: 2, minTrades: 5 };
    expect(objectiveScore(m, { objective: 'returnMinusDrawdown', ...opts })).toBe(4);
    expect(objectiveScore(m, { objective: 'sharpe', ...opts })).toBe(1.5);
    expect(objectiveScore(m, { objective: 'profitFactor', ...opts }), 'no losing trade scores the cap').toBe(PROFIT_FACTOR_CAP);
    expect(objectiveScore(m, { objective: 'totalReturn', ...opts, minTrades: 6 })).toBeNull();
    expect(objectiveScore(null, { objective: 'totalReturn', ...opts })).toBeNull();
  });

  it('picks the highest score, the earliest on a tie, none when all are infeasible', () => {
    expect(
      bestTrial([
        { cell: [0], score: 1 },
        { cell: [1], score: 3 },
        { cell: [2], score: 3 },
        { cell: [3], score: null },
      ]),
    ).toBe(1);
    expect(bestTrial([{ cell: [0], score: null }])).toBe(-1);
  });

  it('describes the neighbourhood of the best cell over adjacent values', () => {
    const axes: SearchAxis[] = [
      { name: 'a', values: [1, 2, 3, 4], ordinal: true },
      { name: 'b', values: ['x', 'y'], ordinal: false },
    ];
    const trials = [
      { cell: [1, 0], score: 10 },
      { cell: [0, 0], score: 4 },
      { cell: [2, 0], score: 6 },
      { cell: [3, 0], score: 100 }, // two values away
      { cell: [2, 1], score: 50 }, // other category
      { cell: [2, 0], score: 6 }, // a repeat counts once
      { cell: [0, 0], score: null },
    ];
    expect(neighbourhood(axes, trials, [1, 0])).toEqual({ cells: 2, feasible: 2, meanObjective: 5, minObjective: 4, maxObjective: 6 });
  });
});

describe('WalkForwardSearch', () => {
  const axes: SearchAxis[] = [
    { name: 'x', values: Array.from({ length: 50 }, (_, i) => i), ordinal: true },
    { name: 'y', values: Array.from({ length: 50 }, (_, i) => i), ordinal: true },
  ];
  const score = (c: readonly number[]) => -((c[0]! - 37) ** 2) - (c[1]! - 12) ** 2;
  function run(method: 'random' | 'tpe', seed: number, trials = 120) {
    const search = new WalkForwardSearch(axes, method, trials, seed, 0);
    const all: Array<{ cell: readonly number[]; score: number }> = [];
    for (let batch = search.nextBatch(); batch; batch = search.nextBatch()) {
      const scored = batch.map((cell) => ({ cell, score: score(cell) }));
      search.report(scored);
      all.push(...scored);
    }
    return all;
  }

  it('grid proposes every cell once in odometer order', () => {
    const search = new WalkForwardSearch([axes[0]!, { name: 'b', values: [true, false], ordinal: false }], 'grid', 3, 1, 0);
    const batch = search.nextBatch()!;
    expect(batch.slice(0, 3)).toEqual([
      [0, 0],
      [0, 1],
      [1, 0],
    ]);
    expect(batch).toHaveLength(100);
    expect(search.nextBatch()).toBeNull();
  });

  it('is seeded: the same seed proposes the same cells, another seed others', () => {
    expect(run('tpe', 7)).toEqual(run('tpe', 7));
    expect(run('tpe', 8)).not.toEqual(run('tpe', 7));
    expect(run('random', 7)).toHaveLength(120);
  });

  it('TPE finds a better optimum than random search with the same budget (over 10 seeds)', () => {
    let tpeWins = 0;
    for (let seed = 0; seed < 10; seed++) {
      const best = (trials: Array<{ score: number }>) => Math.max(...trials.map((t) => t.score));
      if (best(run('tpe', seed, 60)) >= best(run('random', seed, 60))) tpeWins++;
    }
    expect(tpeWins, 'the model must beat uniform draws on a smooth bowl most of the time').toBeGreaterThanOrEqual(8);
  });

  it('builds a normalised density with the prior and its kernels', () => {
    const pmf = axisPmf({ name: 'c', values: ['a', 'b', 'c', 'd'], ordinal: false }, [1, 1, 3]);
    // (1/4 prior + counts) ÷ (1 + 3): b = (0.25 + 2) / 4.
    expect(Array.from(pmf)).toEqual([0.0625, 0.5625, 0.0625, 0.3125]);
  });
});

describe('stitchOutOfSample and efficiency', () => {
  const bars = (start: number, n: number) => seriesFromRows(Array.from({ length: n }, (_, i) => [start + i * H, 100, 100, 100, 100, 1]));
  const trade = (pnl: number): BacktestTrade => ({
    entryTime: 0,
    exitTime: 0,
    entryPrice: 100,
    exitPrice: 100,
    quantity: 1,
    fee: 1,
    pnl,
    pnlPct: pnl,
    exitReason: 'signal',
  });

  it('chains the folds: each scaled to start from the previous one’s end, a fold without a cell held in cash', () => {
    const parts = [
      { series: bars(S, 2), run: { equity: Float64Array.of(100, 110), trades: [trade(10)], metrics: metrics({ exposurePct: 50, buyAndHoldReturnPct: 10 }) } },
      { series: bars(S + 2 * H, 2), run: null },
      {
        series: bars(S + 4 * H, 2),
        run: { equity: Float64Array.of(100, 90), trades: [trade(-10)], metrics: metrics({ exposurePct: 100, buyAndHoldReturnPct: -10 }) },
      },
    ];
    const stitched = stitchOutOfSample(parts, 100, H);
    // 100, 110 | 110, 110 | 110 × 1.0 = 110, 90 × 1.1 = 99.
    const expected = [100, 110, 110, 110, 110, 99];
    stitched.equity.forEach((p, i) => expect(p.equity).toBeCloseTo(expected[i]!, 10));
    expect(stitched.metrics.totalReturnPct).toBeCloseTo(-1, 12);
    expect(stitched.metrics.maxDrawdownPct).toBeCloseTo(10, 12);
    // Profit factor over scaled pnl: 10 ÷ (10 × 1.1).
    expect(stitched.metrics.profitFactor).toBeCloseTo(10 / 11, 12);
    expect(stitched.metrics.exposurePct, '(1 + 0 + 2) of 6 bars').toBeCloseTo(50, 12);
    expect(stitched.metrics.buyAndHoldReturnPct).toBeCloseTo(-1, 12);
  });

  it('divides the out-of-sample CAGR by the mean in-sample CAGR', () => {
    expect(walkForwardEfficiency(10, [20, 30])).toBe(0.4);
    expect(walkForwardEfficiency(10, [-5, 5]), 'a mean at or below 0 says nothing').toBeNull();
    expect(walkForwardEfficiency(10, [])).toBeNull();
  });
});
