import type { CandleSeries } from '../candles';
import { runStream } from './random';
import { percentileBand, type PercentileBand } from './stats';

/** Significance of a backtest's result (docs/robustness.md, "Significance"). Pure; seeded like Monte Carlo. */

// Permutation test -------------------------------------------------------------------------------------------------

export interface PermutationTestInput {
  /** bars from each trade's entry bar to its exit bar (≥ 0), in any order */
  readonly holdingBars: ArrayLike<number>;
  /** the strategy's mean trade return, percent (the backtest's averageTradePct) */
  readonly meanTradePct: number;
  readonly feeRate: number;
  readonly slippage: number;
}

export interface PermutationTestResult {
  runs: number;
  meanTradePct: number;
  /** (1 + runs whose random mean ≥ the strategy's) ÷ (runs + 1) */
  pValue: number;
  /** the random entries' mean trade return over the runs */
  randomMeanTradePct: PercentileBand;
}

/** A round trip's pnlPct as the engine computes it: buy at open × (1 + s) plus fee f, sell at open × (1 − s) minus fee. */
export function roundTripPct(buyOpen: number, sellOpen: number, feeRate: number, slippage: number): number {
  return ((sellOpen * (1 - slippage) * (1 - feeRate)) / (buyOpen * (1 + slippage) * (1 + feeRate)) - 1) * 100;
}

/**
 * H₀: random entries with the same number of trades and holding times do as well. Each run places the holding times,
 * in a random order, at random non-overlapping bars (uniform gaps over the free bars) and takes their mean pnlPct.
 */
export function permutationTest(series: CandleSeries, input: PermutationTestInput, options: { runs: number; seed: number }): PermutationTestResult {
  const n = series.length;
  const T = input.holdingBars.length;
  if (T === 0) throw new RangeError('the backtest has no trades to compare');
  let held = 0;
  for (let t = 0; t < T; t++) held += input.holdingBars[t]!;
  const free = n - 1 - held;
  if (free < 0) throw new RangeError(`the trades hold ${held} bars, more than the ${n - 1} the series allows`);
  const { runs, seed } = options;
  const open = series.open;
  const means = new Float64Array(runs);
  const order = new Int32Array(T);
  const gaps = new Int32Array(T);
  let atLeast = 0;
  for (let r = 0; r < runs; r++) {
    const rng = runStream(seed, r);
    for (let t = 0; t < T; t++) order[t] = t;
    for (let k = T - 1; k > 0; k--) {
      const pick = rng.below(k + 1);
      const swap = order[k]!;
      order[k] = order[pick]!;
      order[pick] = swap;
    }
    for (let k = 0; k < T; k++) gaps[k] = rng.below(free + 1);
    gaps.sort();
    let offset = 0;
    let sum = 0;
    for (let k = 0; k < T; k++) {
      const entry = gaps[k]! + offset;
      const hold = input.holdingBars[order[k]!]!;
      sum += roundTripPct(open[entry]!, open[entry + hold]!, input.feeRate, input.slippage);
      offset += hold;
    }
    const mean = sum / T;
    means[r] = mean;
    if (mean >= input.meanTradePct) atLeast++;
  }
  return { runs, meanTradePct: input.meanTradePct, pValue: (1 + atLeast) / (runs + 1), randomMeanTradePct: percentileBand(means) };
}

// Deflated Sharpe ratio --------------------------------------------------------------------------------------------

const EULER_GAMMA = 0.5772156649015329;

/** The standard normal CDF, Φ(x) = (1 + erf(x ÷ √2)) ÷ 2, to about 1e-14 relative (see erfc). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const tail = 0.5 * erfc(z);
  return x >= 0 ? 1 - tail : tail;
}

/** erfc for z ≥ 0: the series of erf below 2, a continued fraction (Laplace's) from 2 on, where the series would cancel. */
function erfc(z: number): number {
  if (z < 2) {
    // erf(z) = 2/√π Σ (−1)^k z^(2k+1) / (k! (2k+1))
    let term = z;
    let sum = z;
    for (let k = 1; k < 200; k++) {
      term *= (-z * z) / k;
      const add = term / (2 * k + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(z) = exp(−z²)/√π × 1/(z + 1/2/(z + 1/(z + 3/2/(z + 2/(z + …)))))
  let fraction = z;
  for (let k = 60; k >= 1; k--) fraction = z + k / 2 / fraction;
  return Math.exp(-z * z) / Math.sqrt(Math.PI) / fraction;
}

/** Φ⁻¹(p) for 0 < p < 1: Acklam's rational approximation refined by one Halley step (about 1e-15 relative). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`the normal quantile needs 0 < p < 1, got ${p}`);
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  let x: number;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  } else if (p <= 1 - low) {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
      (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  // One Halley step on Φ(x) − p.
  const e = normalCdf(x) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

export interface DeflatedSharpeInput {
  /** the best trial's per-bar (not annualised) Sharpe ratio SR* */
  readonly sharpe: number;
  /** N: trials tried (≥ 1) */
  readonly trials: number;
  /** V: the sample variance of the trials' per-bar Sharpe ratios */
  readonly sharpeVariance: number;
  /** T: the best trial's number of bar returns (≥ 2) */
  readonly observations: number;
  /** γ₃ of the best trial's bar returns */
  readonly skewness: number;
  /** γ₄ (non-excess: 3 for a normal distribution) */
  readonly kurtosis: number;
}

export interface DeflatedSharpeResult {
  /** the probability that the true Sharpe ratio is above 0 after N trials */
  deflatedSharpeRatio: number;
  /** SR₀: the per-bar Sharpe ratio the best of N trials would show by luck alone */
  expectedMaxSharpe: number;
  trials: number;
}

/** Bailey and López de Prado's deflated Sharpe ratio (2014); with one trial, SR₀ = 0 (the probabilistic Sharpe ratio). */
export function deflatedSharpeRatio(input: DeflatedSharpeInput): DeflatedSharpeResult {
  const { sharpe, trials, sharpeVariance, observations, skewness, kurtosis } = input;
  if (!(Number.isInteger(trials) && trials >= 1)) throw new RangeError(`trials must be a positive integer, got ${trials}`);
  if (!(observations >= 2)) throw new RangeError(`observations must be at least 2, got ${observations}`);
  const expectedMaxSharpe =
    trials === 1
      ? 0
      : Math.sqrt(Math.max(0, sharpeVariance)) * ((1 - EULER_GAMMA) * normalQuantile(1 - 1 / trials) + EULER_GAMMA * normalQuantile(1 - 1 / (trials * Math.E)));
  const spread = 1 - skewness * sharpe + ((kurtosis - 1) / 4) * sharpe * sharpe;
  const z = ((sharpe - expectedMaxSharpe) * Math.sqrt(observations - 1)) / Math.sqrt(Math.max(spread, Number.MIN_VALUE));
  return { deflatedSharpeRatio: normalCdf(z), expectedMaxSharpe, trials };
}

/** Mean, sample standard deviation, skewness γ₃ and non-excess kurtosis γ₄ (population moments) of a series' returns. */
export function returnMoments(returns: ArrayLike<number>): { mean: number; std: number; skewness: number; kurtosis: number; count: number } {
  const m = returns.length;
  let sum = 0;
  for (let i = 0; i < m; i++) sum += returns[i]!;
  const mean = m > 0 ? sum / m : 0;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (let i = 0; i < m; i++) {
    const d = returns[i]! - mean;
    const d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  const population = m > 0 ? m2 / m : 0;
  return {
    mean,
    std: m > 1 ? Math.sqrt(m2 / (m - 1)) : 0,
    skewness: population > 0 ? m3 / m / population ** 1.5 : 0,
    kurtosis: population > 0 ? m4 / m / (population * population) : 3,
    count: m,
  };
}

export interface ChosenSharpe extends DeflatedSharpeResult {
  /** the chosen run's per-bar Sharpe ratio SR* (from its equity curve) */
  perBarSharpe: number;
  /** V: the sample variance of the trials' per-bar Sharpe ratios */
  sharpeVariance: number;
  /** T: the chosen run's bar returns */
  observations: number;
  skewness: number;
  kurtosis: number;
}

/**
 * The deflated Sharpe ratio of one combination chosen among those tried (a sweep's best cell, a walk-forward fold's
 * chosen cell): `trialSharpes` are the tried combinations' annualised Sharpe ratios (per bar: ÷ `annualise`), `equity`
 * the chosen run's equity curve, whose bar returns give SR*, T, γ₃ and γ₄ (docs/robustness.md, "Significance").
 */
export function deflatedSharpeOfChosen(trialSharpes: readonly number[], annualise: number, equity: ArrayLike<number>): ChosenSharpe {
  const perBar = trialSharpes.map((s) => s / annualise);
  const mean = perBar.reduce((s, v) => s + v, 0) / Math.max(1, perBar.length);
  const sharpeVariance = perBar.length > 1 ? perBar.reduce((s, v) => s + (v - mean) ** 2, 0) / (perBar.length - 1) : 0;
  const returns = new Float64Array(Math.max(0, equity.length - 1));
  for (let k = 1; k < equity.length; k++) returns[k - 1] = equity[k - 1]! > 0 ? equity[k]! / equity[k - 1]! - 1 : 0;
  const moments = returnMoments(returns);
  const perBarSharpe = moments.std > 0 ? moments.mean / moments.std : 0;
  const dsr = deflatedSharpeRatio({
    sharpe: perBarSharpe,
    trials: Math.max(1, trialSharpes.length),
    sharpeVariance,
    observations: Math.max(2, returns.length),
    skewness: moments.skewness,
    kurtosis: moments.kurtosis,
  });
  return { ...dsr, perBarSharpe, sharpeVariance, observations: returns.length, skewness: moments.skewness, kurtosis: moments.kurtosis };
}
