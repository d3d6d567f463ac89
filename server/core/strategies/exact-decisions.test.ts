import Decimal from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { runSmaCrossoverKernel } from '@/bench/kernels/sma-crossover-kernel';
import { runBacktest } from '../backtest/engine';
import { seriesFromRows, type CandleSeries, type OhlcvRow } from '../candles';
import { IndicatorColumns } from '../indicators/columns';
import { compareMeans, scaleCap, TickSums, tickSums } from '../indicators/decimal-ticks';
import { sma } from '../indicators/sma';
import { createStrategy } from './registry';
import type { StrategyInstance } from './types';
import { fixtureRows, refineCandles } from '@/server/testing/fixtures';

/**
 * sma_crossover decides exactly on decimal prices (docs/backtesting.md, "Exact decisions"): every decision is
 * checked against the same rule computed in BigInt over the prices' decimal strings, with no floating point.
 */

const REFERENCE_DECIMALS = 12;

/** The close as an integer count of 10^−12, from its shortest decimal string (decimal.js, no float arithmetic). */
function exactTicks(price: number): bigint {
  return BigInt(new Decimal(String(price)).times(new Decimal(10).pow(REFERENCE_DECIMALS)).toFixed(0));
}

/** Entry (1), exit (−1) or nothing (0) on every bar, by the crossover rule in exact arithmetic. */
function exactSignals(closes: ArrayLike<number> | readonly bigint[], fastPeriod: number, slowPeriod: number): Int8Array {
  const ticks = Array.isArray(closes) && typeof closes[0] === 'bigint' ? (closes as readonly bigint[]) : Array.from(closes as ArrayLike<number>, exactTicks);
  const signals = new Int8Array(ticks.length);
  let fastSum = 0n;
  let slowSum = 0n;
  let previous: number | null = null;
  for (let i = 0; i < ticks.length; i++) {
    fastSum += ticks[i]!;
    slowSum += ticks[i]!;
    if (i >= fastPeriod) fastSum -= ticks[i - fastPeriod]!;
    if (i >= slowPeriod) slowSum -= ticks[i - slowPeriod]!;
    let order: number | null = null;
    if (i + 1 >= slowPeriod && i + 1 >= fastPeriod) {
      // fastSum / fastPeriod − slowSum / slowPeriod, by cross-multiplication
      const difference = fastSum * BigInt(slowPeriod) - slowSum * BigInt(fastPeriod);
      order = difference > 0n ? 1 : difference < 0n ? -1 : 0;
    }
    if (order !== null && previous !== null) signals[i] = order > 0 && previous <= 0 ? 1 : order < 0 && previous >= 0 ? -1 : 0;
    previous = order;
  }
  return signals;
}

/** What the old float averages decided (sma() over doubles, compared as quotients), to show where floats go wrong. */
function floatSignals(closes: Float64Array, fastPeriod: number, slowPeriod: number): Int8Array {
  const fast = sma(closes, fastPeriod);
  const slow = sma(closes, slowPeriod);
  const signals = new Int8Array(closes.length);
  for (let i = 1; i < closes.length; i++) {
    if (fast[i]! > slow[i]! && fast[i - 1]! <= slow[i - 1]!) signals[i] = 1;
    else if (fast[i]! < slow[i]! && fast[i - 1]! >= slow[i - 1]!) signals[i] = -1;
  }
  return signals;
}

function seriesOfCloses(closes: readonly number[]): CandleSeries {
  const hour = 3_600_000;
  return seriesFromRows(closes.map((close, i): OhlcvRow => [Date.UTC(2024, 0, 1) + i * hour, close, close, close, close, 1]));
}

/** Bars whose signals differ. */
function differences(a: Int8Array, b: Int8Array): number[] {
  const bars: number[] = [];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) bars.push(i);
  return bars;
}

/**
 * The signals the live path sees: the deployment runner hands the strategy a window of the latest candles on every
 * bar (a new series object each time), and asks whether to open and whether to close.
 */
function liveSignals(strategy: StrategyInstance, series: CandleSeries, windowBars: number): Int8Array {
  const signals = new Int8Array(series.length);
  const position = { entryPrice: 1, entryTime: 0, quantity: 1 };
  for (let j = 0; j < series.length; j++) {
    const start = Math.max(0, j - windowBars + 1);
    const window: CandleSeries = {
      length: j + 1 - start,
      time: series.time.subarray(start, j + 1),
      open: series.open.subarray(start, j + 1),
      high: series.high.subarray(start, j + 1),
      low: series.low.subarray(start, j + 1),
      close: series.close.subarray(start, j + 1),
      volume: series.volume.subarray(start, j + 1),
    };
    const ctx = { series: window, index: window.length - 1 };
    const open = strategy.shouldOpenPosition(ctx);
    const close = strategy.shouldClosePosition(position, ctx);
    signals[j] = open ? 1 : close ? -1 : 0;
  }
  return signals;
}

describe('compareMeans', () => {
  it('gives the exact sign of a/n − b/m, equal quotients included', () => {
    let state = 7;
    const random = () => (state = (state * 48271) % 2147483647) / 2147483647;
    const cases: Array<[number, number, number, number]> = [
      [3, 3, 7, 7],
      [1, 3, 2, 6],
      [2 ** 52, 4999, 2 ** 52 - 1, 4999],
      [2 ** 52 - 1, 5000, 2 ** 52 - 2, 4999],
      [-10, 4, -5, 2],
      [0, 1, 0, 5000],
    ];
    for (let k = 0; k < 5000; k++) {
      const n = 1 + Math.floor(random() * 5000);
      const m = 1 + Math.floor(random() * 5000);
      const mean = Math.floor(random() * 2 ** 40);
      // b/m equal to a/n, or one tick away: the ties and near ties floats cannot tell apart
      const a = mean * n + Math.floor(random() * n);
      cases.push([a, n, Math.round((a / n) * m) + Math.floor(random() * 3) - 1, m]);
    }
    for (const [a, n, b, m] of cases) {
      const exact = BigInt(a) * BigInt(m) - BigInt(b) * BigInt(n);
      expect(compareMeans(a, n, b, m), `${a}/${n} vs ${b}/${m}`).toBe(exact > 0n ? 1 : exact < 0n ? -1 : 0);
    }
  });

  it('is NaN while a sum is undefined', () => {
    expect(compareMeans(Number.NaN, 3, 1, 2)).toBeNaN();
    expect(compareMeans(1, 3, Number.NaN, 2)).toBeNaN();
  });
});

describe('tick sums', () => {
  it('keep sums exact and far below 2^53: the scale is capped by the largest price', () => {
    expect(scaleCap(100_000), 'BTC at 100,000 keeps 6 decimals (100,000 × 10^6 × 5000 < 2^52)').toBe(1e6);
    const sums = new TickSums([2, 5000]);
    sums.push(0.1);
    sums.push(0.2);
    expect(sums.ticksPerUnit, 'one decimal place').toBe(10);
    expect(sums.sum(0), '0.1 + 0.2 = 3 tenths, exactly').toBe(3);
    sums.push(0.123);
    expect(sums.ticksPerUnit).toBe(1000);
    expect(sums.sum(0), 'recomputed at the finer scale: 0.2 + 0.123').toBe(323);
    sums.push(1e9);
    expect(sums.ticksPerUnit, 'a large price lowers the scale so sums stay below 2^52').toBe(scaleCap(1e9));
    expect(Number.isSafeInteger(sums.sum(0)), 'whole ticks').toBe(true);
  });

  it('as a column are bit for bit the streaming sums', () => {
    const closes = new Float64Array([10, 10.5, 10.25, 11, 1e6, 0.001, 7, Number.NaN, 8, 9, 10, 11]);
    const streaming = new TickSums([3]);
    const column = tickSums(closes, 3);
    closes.forEach((close, i) => {
      streaming.push(close);
      expect(Object.is(column[i], streaming.sum(0)), `index ${i}`).toBe(true);
    });
  });
});

describe('sma_crossover decides exactly on decimal prices', () => {
  it('never signals on a flat stretch, where floats do', () => {
    // a rise, then 300 bars at 0.3: once both windows hold only 0.3, the averages are equal
    const closes = [0.1, 0.7, 0.2, 0.9, 0.4, 0.8, 0.3, 0.6, ...Array<number>(300).fill(0.3)];
    const series = seriesOfCloses(closes);
    const exact = exactSignals(closes, 3, 7);
    const ours = createStrategy('sma_crossover', { fastPeriod: 3, slowPeriod: 7 }).generateSignals(series);
    expect(differences(ours, exact), 'bars where we differ from exact arithmetic').toEqual([]);
    expect(
      ours.subarray(8 + 7).every((s) => s === 0),
      'no signal once both windows are flat',
    ).toBe(true);
    expect(differences(floatSignals(series.close, 3, 7), exact).length, 'float running sums do signal here: the case is real').toBeGreaterThan(0);
  });

  it('treats constructed exact ties as ties (an entry on the bar after the tie, not on it)', () => {
    // fast 2, slow 4: SMA2 = SMA4 exactly when the last two closes sum to the two before them
    const closes: number[] = [];
    for (let k = 0; k < 200; k++) {
      const a = (17 + ((k * 7) % 23)) / 10;
      const b = (3 + ((k * 5) % 11)) / 100;
      closes.push(a, b, b + 0.1, a - 0.1, a + 0.2); // bars 3 and 4 of each group tie; the 5th moves on
    }
    const series = seriesOfCloses(closes);
    const exact = exactSignals(closes, 2, 4);
    expect(
      exact.some((s) => s !== 0),
      'the sequence crosses',
    ).toBe(true);
    const strategy = createStrategy('sma_crossover', { fastPeriod: 2, slowPeriod: 4 });
    expect(differences(strategy.generateSignals(series), exact), 'streaming').toEqual([]);
    expect(differences(liveSignals(strategy, series, 10), exact), 'live windows').toEqual([]);
    expect(differences(floatSignals(series.close, 2, 4), exact).length, 'floats break some of these ties the wrong way').toBeGreaterThan(0);
  });

  it('takes every decision of a long real 5-minute series as exact arithmetic does, in backtests, sweeps, the kernel and live', () => {
    // Coinbase BTC/USD 4h refined to 5m: 2016-2018, about 240,000 real-level 5-minute closes with 2 decimals
    const rows = refineCandles(
      fixtureRows('btc-usd-4h').filter((r) => r[0] < Date.UTC(2018, 6, 1)),
      '4h',
      '5m',
    );
    const series = seriesFromRows(rows);
    expect(series.length).toBeGreaterThan(200_000);
    const ticks = Array.from(series.close, exactTicks);
    const barAt = new Map(rows.map((r, i) => [r[0], i]));
    let floatMistakes = 0;
    for (const [fastPeriod, slowPeriod] of [
      [10, 30],
      [12, 48],
      [20, 100],
    ] as const) {
      const params = { fastPeriod, slowPeriod };
      const exact = exactSignals(ticks, fastPeriod, slowPeriod);
      const strategy = createStrategy('sma_crossover', params);
      expect(differences(strategy.generateSignals(series), exact), `${fastPeriod}/${slowPeriod}: bars where a decision differs`).toEqual([]);
      floatMistakes += differences(floatSignals(series.close, fastPeriod, slowPeriod), exact).length;

      // the same decisions through the engine, with and without shared columns, and in the kernel
      const config = { initialCapital: 10_000, feeRate: 0.001, slippage: 0.0005, timeframe: '5m' };
      const streamed = runBacktest(series, strategy, config);
      const columns = runBacktest(series, createStrategy('sma_crossover', params), config, { indicatorColumns: new IndicatorColumns() });
      expect(columns.trades, 'columns decide as streaming does').toEqual(streamed.trades);
      expect(runSmaCrossoverKernel(series, params, config).trades, 'kernel = engine').toEqual(streamed.trades);
      // every trade opens on the bar after an exact entry signal (and closes after an exact exit, or at the end)
      for (const trade of streamed.trades) {
        expect(exact[barAt.get(trade.entryTime)! - 1], `entry at ${trade.entryTime}`).toBe(1);
        if (trade.exitReason === 'signal') expect(exact[barAt.get(trade.exitTime)! - 1], `exit at ${trade.exitTime}`).toBe(-1);
      }
    }
    // the live path on a slice (a window per bar costs a little): identical decisions
    const slice = seriesFromRows(rows.slice(0, 20_000));
    expect(
      differences(liveSignals(createStrategy('sma_crossover', { fastPeriod: 10, slowPeriod: 30 }), slice, 200), exactSignals(ticks.slice(0, 20_000), 10, 30)),
      'live',
    ).toEqual([]);
    expect(floatMistakes, 'float running sums get some of these decisions wrong: the series tests what it should').toBeGreaterThan(0);
  });
});
