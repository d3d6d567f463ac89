import { describe, expect, it } from 'vitest';
import { seriesFromRows } from '../candles';
import { runBacktest } from '../backtest/engine';
import { createStrategy } from '../strategies';
import { fixtureRows } from '@/server/testing/fixtures';
import { barRelatives, blockMonteCarlo, buildBlockPath, defaultBlockBars, runMonteCarlo, tradeFractions, tradeMonteCarlo, tradePath } from './monte-carlo';
import { Mulberry32, mix32, runStream } from './random';
import { histogram, maxDrawdownPct, percentileBand, percentilesInPlace, percentileSorted, samplePoints } from './stats';

describe('statistics, by hand', () => {
  it('percentiles interpolate linearly between closest ranks', () => {
    expect(percentileSorted([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentileSorted([1, 2, 3, 4], 5)).toBeCloseTo(1.15, 12); // h = 3 × 0.05 = 0.15
    expect(percentileSorted([1, 2, 3, 4], 95)).toBeCloseTo(3.85, 12); // h = 2.85
    expect(percentileSorted([7], 95)).toBe(7);
    expect(percentileBand(Float64Array.from([4, 1, 3, 2]))).toEqual({
      p5: percentileSorted([1, 2, 3, 4], 5),
      p50: 2.5,
      p95: percentileSorted([1, 2, 3, 4], 95),
    });
  });

  it('selection gives the same percentiles as sorting, ties and all', () => {
    const rng = new Mulberry32(99);
    for (const m of [1, 2, 3, 10, 101, 1000]) {
      const values = Float64Array.from({ length: m }, () => rng.below(m < 10 ? 3 : 50) - 7);
      const sorted = values.slice().sort();
      for (const p of [0, 5, 50, 95, 100]) expect(percentilesInPlace(values.slice(), [p])[0], `m=${m} p=${p}`).toBe(percentileSorted(sorted, p));
      expect(percentileBand(values)).toEqual({ p5: percentileSorted(sorted, 5), p50: percentileSorted(sorted, 50), p95: percentileSorted(sorted, 95) });
    }
  });

  it('histograms: equal-width bins from min to max, the max in the last bin', () => {
    expect(histogram([0, 1, 2, 3, 4], 4)).toEqual([
      { from: 0, to: 1, count: 1 },
      { from: 1, to: 2, count: 1 },
      { from: 2, to: 3, count: 1 },
      { from: 3, to: 4, count: 2 },
    ]);
    expect(histogram([5, 5, 5])).toEqual([{ from: 5, to: 5, count: 3 }]);
  });

  it('sampled points are evenly spaced and include both ends', () => {
    expect(Array.from(samplePoints(5, 3))).toEqual([0, 2, 4]);
    expect(Array.from(samplePoints(3, 200))).toEqual([0, 1, 2]);
    expect(Array.from(samplePoints(1))).toEqual([0]);
  });

  it('max drawdown from the running peak', () => {
    expect(maxDrawdownPct([100, 110, 88, 99])).toBeCloseTo(20, 12);
    expect(maxDrawdownPct([100, 80, 88, 99])).toBeCloseTo(20, 12);
    expect(maxDrawdownPct([100, 90, 120, 84])).toBeCloseTo(30, 12);
  });
});

describe('seeded streams', () => {
  it('mix32 and mulberry32 give their published outputs', () => {
    expect(mix32(0)).toBe(0);
    expect(mix32(1)).toBe(0x514e28b7);
    // mulberry32(1)'s first three outputs from the reference closure (t = a += 0x6D2B79F5; …), times 2³².
    const rng = new Mulberry32(1);
    expect([rng.nextUint32(), rng.nextUint32(), rng.nextUint32()]).toEqual([2693262067, 11749833, 2265367787]);
  });

  it('each run has its own stream: the same run gives the same numbers whatever ran before', () => {
    const a = runStream(42, 7);
    const b = runStream(42, 7);
    expect([a.nextUint32(), a.nextUint32()]).toEqual([b.nextUint32(), b.nextUint32()]);
    expect(runStream(42, 8).nextUint32()).not.toBe(runStream(42, 7).nextUint32());
  });
});

describe('trade methods', () => {
  // E: 100 → 110 → 88 → 99, so f = [0.1, −0.2, 0.125].
  const pnl = [10, -22, 11];

  it('fractions are each trade’s return on the equity it started from', () => {
    const f = tradeFractions(pnl, 100);
    expect(Array.from(f)).toEqual([0.1, -0.2, 0.125]);
    expect(Array.from(tradePath(f, [0, 1, 2], 100)).map((v) => +v.toFixed(9))).toEqual([100, 110, 88, 99]);
    expect(Array.from(tradePath(f, [1, 0, 2], 100)).map((v) => +v.toFixed(9))).toEqual([100, 80, 88, 99]);
  });

  it('shuffle: the final return never varies; every drawdown is one of the six orders’ drawdowns', () => {
    const summary = runMonteCarlo(tradeMonteCarlo('shuffle', pnl, 100, { runs: 600, seed: 1, ruinDrawdownPct: 25 }));
    expect(summary.finalReturnPct.p5).toBeCloseTo(-1, 9);
    expect(summary.finalReturnPct.p95).toBeCloseTo(-1, 9);
    // The six orders by hand: [0,1,2] 20%, [0,2,1] 20%, [1,0,2] 20%, [1,2,0] 20%, [2,0,1] 20%, [2,1,0] 20%:
    // the −20% trade always follows the peak so far, so every order draws down exactly 20%.
    expect(summary.maxDrawdownPct.p5).toBeCloseTo(20, 9);
    expect(summary.maxDrawdownPct.p95).toBeCloseTo(20, 9);
    expect(summary.original).toEqual({ finalReturnPct: expect.closeTo(-1, 9), maxDrawdownPct: expect.closeTo(20, 9) });
    expect(summary.ruinProbability, 'no order draws down 25%').toBe(0);
    expect(summary.bands.map((b) => b.x)).toEqual([0, 1, 2, 3]);
    expect(summary.bands[0]).toMatchObject({ p5: 100, p50: 100, p95: 100, original: 100 });
    expect(summary.bands[3]!.p50).toBeCloseTo(99, 9);
  });

  it('shuffle: orders spread the drawdown when losses can cluster', () => {
    // Two −10% trades and two +10% trades: together the losses draw down 19%, apart 10%.
    const p = [10, 11, -12.1, -10.89];
    const summary = runMonteCarlo(tradeMonteCarlo('shuffle', p, 100, { runs: 6000, seed: 9, ruinDrawdownPct: 15 }));
    // The 6 equally likely sign orders: LLWW, WLLW, WWLL put the losses together (19%); LWLW, WLWL, LWWL apart (10%).
    expect(summary.ruinProbability).toBeGreaterThan(0.45);
    expect(summary.ruinProbability).toBeLessThan(0.55);
    expect(summary.maxDrawdownPct.p5).toBeCloseTo(10, 9);
    expect(summary.maxDrawdownPct.p95).toBeCloseTo(19, 9);
  });

  it('bootstrap: draws with replacement, so the final return varies between all-win and all-loss', () => {
    const summary = runMonteCarlo(tradeMonteCarlo('bootstrap', pnl, 100, { runs: 4000, seed: 3, ruinDrawdownPct: 50 }));
    const best = (1.125 ** 3 - 1) * 100;
    const worst = (0.8 ** 3 - 1) * 100;
    const bins = summary.distributions.finalReturnPct;
    expect(bins[0]!.from).toBeCloseTo(worst, 9);
    expect(bins.at(-1)!.to).toBeCloseTo(best, 9);
    expect(bins.reduce((s, b) => s + b.count, 0)).toBe(4000);
    // P(all three draws are the −20% trade) = 1/27: 48.8% drawdown < 50 → no ruin at 50%, some at 40%.
    expect(summary.ruinProbability).toBe(0);
  });

  it('is deterministic: the same request gives the same bytes, batches of any size', () => {
    const options = { runs: 1000, seed: 123, ruinDrawdownPct: 10 };
    const one = runMonteCarlo(tradeMonteCarlo('bootstrap', pnl, 100, options));
    const plan = tradeMonteCarlo('bootstrap', pnl, 100, options);
    plan.runBatch(500, 1000);
    plan.runBatch(0, 123);
    plan.runBatch(123, 500);
    expect(JSON.stringify(plan.summary())).toBe(JSON.stringify(one));
    expect(JSON.stringify(runMonteCarlo(tradeMonteCarlo('bootstrap', pnl, 100, { ...options, seed: 124 })))).not.toBe(JSON.stringify(one));
  });

  it('refuses a backtest without trades', () => {
    expect(() => tradeMonteCarlo('shuffle', [], 100, { runs: 10, seed: 1, ruinDrawdownPct: 50 })).toThrow(/no trades/);
  });
});

describe('blocks: price-path resampling', () => {
  const small = seriesFromRows([
    [0, 100, 101, 99, 100, 1],
    [1, 100, 112, 98, 110, 2],
    [2, 110, 111, 95, 99, 3],
    [3, 99, 100, 97, 99, 4],
  ]);

  it('rebuilds exact values by hand', () => {
    const rel = barRelatives(small);
    const out = {
      length: 4,
      time: small.time,
      open: new Float64Array(4),
      high: new Float64Array(4),
      low: new Float64Array(4),
      close: new Float64Array(4),
      volume: new Float64Array(4),
    };
    const starts = [2, 1];
    buildBlockPath(small, rel, 2, () => starts.shift()!, out);
    // bar 1 ← source 2: prev close 100; source 2 relative to close 110: open 1, high 111/110, low 95/110, close 99/110.
    // bar 2 ← source 3: prev 90; relative to 99: open 1, high 100/99, low 97/99, close 1.
    // bar 3 ← source 1 (new block): prev 90; relative to 100: open 1, high 1.12, low 0.98, close 1.1.
    expect(Array.from(out.close)).toEqual([100, (100 * 99) / 110, ((100 * 99) / 110) * 1, ((100 * 99) / 110) * 1.1]);
    expect(out.high[1]).toBeCloseTo(100.9090909, 6);
    expect(out.low[3]).toBeCloseTo(90 * 0.98, 9);
    expect(Array.from(out.volume)).toEqual([1, 3, 4, 2]);
    expect(Array.from(out.time)).toEqual([0, 1, 2, 3]);
  });

  it('runs the strategy on every path, deterministically, with the backtest’s own figures as the original', () => {
    const series = seriesFromRows(fixtureRows('btc-usd-1h').slice(0, 2000));
    const config = { initialCapital: 10_000, feeRate: 0.001, slippage: 0.0005, timeframe: '1h' };
    const make = () => createStrategy('sma_crossover', { fastPeriod: 10, slowPeriod: 30 });
    const options = { runs: 40, seed: 5, ruinDrawdownPct: 20 };
    const summary = runMonteCarlo(blockMonteCarlo(series, make, config, defaultBlockBars(series.length), options));
    const own = runBacktest(series, make(), config);
    expect(summary.original).toEqual({ finalReturnPct: own.metrics.totalReturnPct, maxDrawdownPct: own.metrics.maxDrawdownPct });
    expect(summary.bands[0]).toMatchObject({ x: 0, time: series.time[0], original: own.equity[0] });
    expect(summary.bands.at(-1)).toMatchObject({ x: series.length - 1, time: series.time[series.length - 1] });
    expect(summary.finalReturnPct.p5).toBeLessThan(summary.finalReturnPct.p95);
    const again = runMonteCarlo(blockMonteCarlo(series, make, config, defaultBlockBars(series.length), options));
    expect(JSON.stringify(again)).toBe(JSON.stringify(summary));
    expect(defaultBlockBars(2000)).toBe(13);
  });
});
