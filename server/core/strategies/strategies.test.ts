import { describe, expect, it } from 'vitest';
import { seriesFromRows, type CandleSeries } from '../candles';
import { rsi } from '../indicators/rsi';
import { macd } from '../indicators/macd';
import { createStrategy, listBarStrategyDefinitions } from './registry';
import { fixtureRows } from '@/server/testing/fixtures';

const rows = fixtureRows('btc-usd-1h');
const series = seriesFromRows(rows.slice(0, 1500));
const close = series.close;

/** The first `length` bars as a new series object, as a live runner would hold them. */
function prefix(s: CandleSeries, length: number): CandleSeries {
  return {
    length,
    time: s.time.subarray(0, length),
    open: s.open.subarray(0, length),
    high: s.high.subarray(0, length),
    low: s.low.subarray(0, length),
    close: s.close.subarray(0, length),
    volume: s.volume.subarray(0, length),
  };
}

const nonDefault: Record<string, Record<string, unknown>> = {
  sma_crossover: { fastPeriod: 7, slowPeriod: 25 },
  mean_reversion: { lookbackPeriod: 30, entryThreshold: 1.5, exitThreshold: 0.2 },
  rsi: { period: 10, oversold: 35, overbought: 65 },
  dca: { intervalBars: 10 },
};

describe.each(listBarStrategyDefinitions().map((d) => d.type))('strategy contract: %s', (type) => {
  const params = nonDefault[type] ?? {};

  it('gives the same signals on every call (reset clears state) and produces some', () => {
    const instance = createStrategy(type, params);
    const first = instance.generateSignals(series);
    const second = instance.generateSignals(series);
    expect(Array.from(second), 'identical on a reused instance').toEqual(Array.from(first));
    expect(
      first.some((s) => s === 1),
      'enters at least once on 1500 real bars',
    ).toBe(true);
    expect(
      Array.from(first.subarray(0, instance.warmup)).every((s) => s === 0),
      'no signal during warmup',
    ).toBe(true);
  });

  it('decides bar by bar on a growing live series exactly as on the whole series (no look-ahead)', () => {
    const whole = createStrategy(type, params).generateSignals(series);
    const live = createStrategy(type, params);
    for (let i = 0; i < 600; i++) {
      const ctx = { series: prefix(series, i + 1), index: i };
      const opens = live.shouldOpenPosition(ctx);
      expect(opens, `entry on bar ${i}`).toBe(whole[i] === 1);
      const position = { entryPrice: close[i]!, entryTime: series.time[i]!, quantity: 1 };
      if (whole[i] === -1) expect(live.shouldClosePosition(position, ctx), `exit on bar ${i}`).toBe(true);
    }
  });

  it('catches up from any index when called out of order', () => {
    const whole = createStrategy(type, params).generateSignals(series);
    const jumper = createStrategy(type, params);
    for (const i of [900, 901, 1200, 300]) {
      expect(jumper.shouldOpenPosition({ series, index: i }), `entry on bar ${i}`).toBe(whole[i] === 1);
    }
  });
});

describe('built-in strategy semantics, checked against direct formulas', () => {
  /** Mean and population deviation of close[i − n + 1 .. i], two-pass. */
  function window(i: number, n: number) {
    let sum = 0;
    for (let k = i - n + 1; k <= i; k++) sum += close[k]!;
    const mean = sum / n;
    let squares = 0;
    for (let k = i - n + 1; k <= i; k++) squares += (close[k]! - mean) ** 2;
    return { mean, deviation: Math.sqrt(squares / n) };
  }

  it('sma_crossover: fast > slow on i and fast ≤ slow on i − 1 enters; the opposite exits', () => {
    const signals = createStrategy('sma_crossover', { fastPeriod: 5, slowPeriod: 20 }).generateSignals(series);
    for (let i = 20; i < series.length; i++) {
      const f = window(i, 5).mean;
      const s = window(i, 20).mean;
      const pf = window(i - 1, 5).mean;
      const ps = window(i - 1, 20).mean;
      const expected = f > s && pf <= ps ? 1 : f < s && pf >= ps ? -1 : 0;
      expect(signals[i], `bar ${i}`).toBe(expected);
    }
    expect(signals[19], 'slow SMA undefined on bar 18: no cross on bar 19').toBe(0);
  });

  it('mean_reversion: z ≤ −entry enters, z ≥ −exit exits', () => {
    const signals = createStrategy('mean_reversion', { lookbackPeriod: 20, entryThreshold: 1.8, exitThreshold: 0.3 }).generateSignals(series);
    let entries = 0;
    for (let i = 19; i < series.length; i++) {
      const { mean, deviation } = window(i, 20);
      const z = (close[i]! - mean) / deviation;
      expect(signals[i], `bar ${i}, z = ${z}`).toBe(z <= -1.8 ? 1 : z >= -0.3 ? -1 : 0);
      if (z <= -1.8) entries++;
    }
    expect(entries, 'the data has entries').toBeGreaterThan(5);
  });

  it('mean_reversion makes no decision while the deviation is 0', () => {
    const flat = seriesFromRows(Array.from({ length: 30 }, (_, i) => [i * 60_000, 5, 5, 5, 5, 0]));
    const signals = createStrategy('mean_reversion', { lookbackPeriod: 5 }).generateSignals(flat);
    expect(
      Array.from(signals).every((s) => s === 0),
      'constant prices: no z-score',
    ).toBe(true);
  });

  it('donchian_breakout: close above the previous N highs enters, below the previous M lows exits', () => {
    const signals = createStrategy('donchian_breakout', { entryPeriod: 20, exitPeriod: 10 }).generateSignals(series);
    expect(
      Array.from(signals.subarray(0, 20)).every((s) => s === 0),
      'nothing before both channels exist',
    ).toBe(true);
    for (let i = 20; i < series.length; i++) {
      const upper = Math.max(...series.high.subarray(i - 20, i));
      const lower = Math.min(...series.low.subarray(i - 10, i));
      expect(signals[i], `bar ${i}`).toBe(close[i]! > upper ? 1 : close[i]! < lower ? -1 : 0);
    }
  });

  it('rsi: cross mode enters on the bar RSI falls below oversold, level mode on every bar below; exits above overbought', () => {
    const values = rsi(close, 14);
    const cross = createStrategy('rsi', {}).generateSignals(series);
    const level = createStrategy('rsi', { entryMode: 'level' }).generateSignals(series);
    for (let i = 15; i < series.length; i++) {
      const exit = values[i]! > 70 ? -1 : 0;
      expect(cross[i], `cross bar ${i}`).toBe(values[i]! < 30 && values[i - 1]! >= 30 ? 1 : exit);
      expect(level[i], `level bar ${i}`).toBe(values[i]! < 30 ? 1 : exit);
    }
  });

  it('macd: MACD crossing above its signal enters, below exits', () => {
    const { macd: line, signal } = macd(close, 12, 26, 9);
    const signals = createStrategy('macd', {}).generateSignals(series);
    for (let i = 35; i < series.length; i++) {
      const h = line[i]! - signal[i]!;
      const p = line[i - 1]! - signal[i - 1]!;
      expect(signals[i], `bar ${i}`).toBe(h > 0 && p <= 0 ? 1 : h < 0 && p >= 0 ? -1 : 0);
    }
  });

  it('dca: enters on bar 0 and every intervalBars bars, never exits', () => {
    const signals = createStrategy('dca', { intervalBars: 24 }).generateSignals(series);
    for (let i = 0; i < series.length; i++) expect(signals[i], `bar ${i}`).toBe(i % 24 === 0 ? 1 : 0);
  });
});
