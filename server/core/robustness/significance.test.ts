import { describe, expect, it } from 'vitest';
import { seriesFromRows } from '../candles';
import { deflatedSharpeRatio, normalCdf, normalQuantile, permutationTest, returnMoments, roundTripPct } from './significance';

/** Reference values below: Python's statistics.NormalDist (erf-based cdf; Wichura's AS241 inv_cdf). */
describe('the normal distribution', () => {
  it('Φ and Φ⁻¹ match reference values', () => {
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(1)).toBeCloseTo(0.8413447460685429, 13);
    expect(normalCdf(-3.5)).toBeCloseTo(0.0002326290790355401, 16);
    expect(normalCdf(-2.9)).toBeCloseTo(0.001865813300384045, 16);
    expect(normalCdf(5)).toBeCloseTo(0.9999997133484282, 14);
    expect(normalQuantile(0.9)).toBeCloseTo(1.2815515655446008, 12);
    expect(normalQuantile(0.975)).toBeCloseTo(1.9599639845400536, 12);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232306167813, 12);
    expect(() => normalQuantile(1)).toThrow(RangeError);
  });
});

describe('deflated Sharpe ratio, by hand', () => {
  it('one trial: SR₀ = 0, the probabilistic Sharpe ratio', () => {
    // SR* = 0.1, T = 1001, normal returns: z = 0.1 × √1000 ÷ √(1 + (3 − 1)/4 × 0.01) = 3.15440…
    const r = deflatedSharpeRatio({ sharpe: 0.1, trials: 1, sharpeVariance: 0, observations: 1001, skewness: 0, kurtosis: 3 });
    expect(r.expectedMaxSharpe).toBe(0);
    expect(r.deflatedSharpeRatio).toBeCloseTo(0.9991958616790708, 12);
  });

  it('ten trials raise the bar by SR₀ = √V × ((1 − γ) Φ⁻¹(0.9) + γ Φ⁻¹(1 − 1/(10e)))', () => {
    // √0.0004 × (0.4227843 × 1.2815516 + 0.5772157 × 1.7892418) = 0.031491966…
    const r = deflatedSharpeRatio({ sharpe: 0.1, trials: 10, sharpeVariance: 0.0004, observations: 1001, skewness: -0.5, kurtosis: 6 });
    expect(r.expectedMaxSharpe).toBeCloseTo(0.031491966026915, 12);
    // z = (0.1 − SR₀) × √1000 ÷ √(1 + 0.5 × 0.1 + 5/4 × 0.01)
    expect(r.deflatedSharpeRatio).toBeCloseTo(0.9822115566533922, 11);
    expect(r.trials).toBe(10);
  });

  it('moments of returns: skewness and kurtosis of a small sample', () => {
    // [1, 2, 3, 10]: mean 4, deviations −3 −2 −1 6; m2 = 50/4, m3 = (−27 −8 −1 +216)/4 = 45, m4 = (81 + 16 + 1 + 1296)/4 = 348.5
    const m = returnMoments([1, 2, 3, 10]);
    expect(m.mean).toBe(4);
    expect(m.std).toBeCloseTo(Math.sqrt(50 / 3), 12);
    expect(m.skewness).toBeCloseTo(45 / 12.5 ** 1.5, 12);
    expect(m.kurtosis).toBeCloseTo(348.5 / 12.5 ** 2, 12);
  });
});

describe('permutation test', () => {
  const flat = seriesFromRows([0, 1, 2, 3, 4, 5].map((t) => [t, 100, 100, 100, 100, 1]));

  it('a round trip pays slippage and fees on both sides, as the engine does', () => {
    expect(roundTripPct(100, 110, 0, 0)).toBeCloseTo(10, 12);
    // buy 100 × 1.01 × 1.001, sell 110 × 0.99 × 0.999
    expect(roundTripPct(100, 110, 0.001, 0.01)).toBeCloseTo(((110 * 0.99 * 0.999) / (100 * 1.01 * 1.001) - 1) * 100, 12);
  });

  it('random entries on a flat market return exactly 0: a strategy at 0 gets p = 1, one above it p = 1/(runs + 1)', () => {
    const input = { holdingBars: [1, 2], feeRate: 0, slippage: 0 };
    expect(permutationTest(flat, { ...input, meanTradePct: 0 }, { runs: 99, seed: 1 }).pValue).toBe(1);
    const better = permutationTest(flat, { ...input, meanTradePct: 5 }, { runs: 99, seed: 1 });
    expect(better.pValue).toBe(1 / 100);
    expect(better.randomMeanTradePct).toEqual({ p5: 0, p50: 0, p95: 0 });
  });

  it('one one-bar trade over opens 100, 110, 121, 100: two of three entries earn +10%', () => {
    const s = seriesFromRows([100, 110, 121, 100].map((o, t) => [t, o, o, o, o, 1]));
    const runs = 3000;
    const r = permutationTest(s, { holdingBars: [1], meanTradePct: 10 - 1e-9, feeRate: 0, slippage: 0 }, { runs, seed: 5 });
    // Entries 0 and 1 (+10%) reach the strategy's mean, entry 2 (−17.36%) does not: p ≈ 2/3.
    expect(r.pValue).toBeGreaterThan(0.64);
    expect(r.pValue).toBeLessThan(0.69);
    expect(r.randomMeanTradePct.p5).toBeCloseTo((100 / 121 - 1) * 100, 9);
    expect(r.randomMeanTradePct.p95).toBeCloseTo(10, 9);
    expect(JSON.stringify(permutationTest(s, { holdingBars: [1], meanTradePct: 10 - 1e-9, feeRate: 0, slippage: 0 }, { runs, seed: 5 }))).toBe(
      JSON.stringify(r),
    );
  });

  it('places trades without overlap inside the series, and refuses holding times longer than it', () => {
    const s = seriesFromRows([0, 1, 2, 3].map((t) => [t, 100 + t, 100 + t, 100 + t, 100 + t, 1]));
    // Two trades holding 1 and 2 bars fill all 3 steps: the only placement is back to back from bar 0.
    const r = permutationTest(s, { holdingBars: [1, 2], meanTradePct: 0, feeRate: 0, slippage: 0 }, { runs: 50, seed: 2 });
    const a = (roundTripPct(100, 101, 0, 0) + roundTripPct(101, 103, 0, 0)) / 2;
    const b = (roundTripPct(100, 102, 0, 0) + roundTripPct(102, 103, 0, 0)) / 2;
    expect([a, b]).toContain(r.randomMeanTradePct.p5);
    expect([a, b]).toContain(r.randomMeanTradePct.p95);
    expect(() => permutationTest(s, { holdingBars: [2, 2], meanTradePct: 0, feeRate: 0, slippage: 0 }, { runs: 5, seed: 1 })).toThrow(/more than the 3/);
  });
});
