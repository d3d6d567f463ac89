import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as ti from 'technicalindicators';
import { describe, expect, it } from 'vitest';
import { ema } from './ema';
import { macd } from './macd';
import { rollingMax, rollingMin } from './rolling-extreme';
import { RSI } from './rsi';
import { sma } from './sma';
import { stddev } from './stddev';

function loadColumn(file: string, column: number): Float64Array {
  const rows = JSON.parse(readFileSync(path.resolve(process.cwd(), '../shared/data/binance', file), 'utf8')) as number[][];
  return Float64Array.from(rows, (r) => r[column]!);
}
const closes = loadColumn('BTC_USDT-1h.json', 4);
const highs = loadColumn('BTC_USDT-1h.json', 2);
const lows = loadColumn('BTC_USDT-1h.json', 3);
const closes5m = loadColumn('ETH_USDT-5m.json', 4).subarray(0, 20_000);
const TOLERANCE = 1e-9;

/** Compares our batch output (NaN-padded) with a reference list that starts at the first defined index. */
function expectMatches(ours: Float64Array, reference: number[], label: string) {
  const offset = ours.length - reference.length;
  expect(reference.length > 100, `${label}: the reference produced values`).toBe(true);
  for (let i = 0; i < ours.length; i++) {
    if (i < offset) {
      expect(Number.isNaN(ours[i]!), `${label}[${i}] must still be warming up`).toBe(true);
      continue;
    }
    const expected = reference[i - offset]!;
    const relative = Math.abs(ours[i]! - expected) / Math.max(Math.abs(expected), 1e-12);
    if (!(relative <= TOLERANCE)) expect.fail(`${label}[${i}] = ${ours[i]} but technicalindicators gives ${expected}`);
  }
}

describe('indicators agree with technicalindicators on real BTC/USDT 1h closes', () => {
  it.each([5, 20, 50, 200])('SMA(%i)', (period) => {
    expectMatches(sma(closes, period), ti.SMA.calculate({ period, values: Array.from(closes) }), `SMA(${period})`);
  });

  it.each([5, 12, 26, 100])('EMA(%i) seeded with the SMA of the first period closes', (period) => {
    expectMatches(ema(closes, period), ti.EMA.calculate({ period, values: Array.from(closes) }), `EMA(${period})`);
  });

  it.each([7, 14, 21])('RSI(%i): Wilder averages match exactly and the value matches the 2-decimal reference', (period) => {
    const values = Array.from(closes);
    const gains = ti.AverageGain.calculate({ period, values });
    const losses = ti.AverageLoss.calculate({ period, values });
    const reference = ti.RSI.calculate({ period, values });
    const indicator = new RSI(period);
    const ourGains: number[] = [];
    const ourLosses: number[] = [];
    const ourRsi: number[] = [];
    for (const close of closes) {
      const value = indicator.update(close);
      if (value === null) continue;
      ourGains.push(indicator.averageGain);
      ourLosses.push(indicator.averageLoss);
      ourRsi.push(value);
    }
    expect(ourRsi.length, 'same number of RSI values').toBe(reference.length);
    expectMatches(Float64Array.from(ourGains), gains, `avgGain(${period})`);
    expectMatches(Float64Array.from(ourLosses), losses, `avgLoss(${period})`);
    for (let k = 0; k < reference.length; k++) {
      // technicalindicators rounds RSI to 2 decimals; ours is unrounded.
      expect(Math.abs(ourRsi[k]! - reference[k]!), `RSI value ${k} rounds to the reference`).toBeLessThanOrEqual(0.005 + 1e-9);
    }
  });

  it.each([
    [12, 26, 9],
    [5, 35, 5],
  ])('MACD(%i,%i,%i) with EMA oscillator and EMA signal', (fastPeriod, slowPeriod, signalPeriod) => {
    const ours = macd(closes, fastPeriod, slowPeriod, signalPeriod);
    const reference = ti.MACD.calculate({
      values: Array.from(closes),
      fastPeriod,
      slowPeriod,
      signalPeriod,
      SimpleMAOscillator: false,
      SimpleMASignal: false,
    });
    expectMatches(ours.macd, reference.map((r) => r.MACD!), 'MACD line');
    const withSignal = reference.filter((r) => r.signal !== undefined);
    expectMatches(ours.signal, withSignal.map((r) => r.signal!), 'signal');
    expectMatches(ours.histogram, withSignal.map((r) => r.histogram!), 'histogram');
  });

  it.each([10, 20, 100])('population standard deviation(%i) on 1h BTC closes', (period) => {
    expectMatches(stddev(closes, period), ti.SD.calculate({ period, values: Array.from(closes) }), `SD(${period})`);
  });

  it('population standard deviation(20) on 20,000 low-volatility 5m ETH closes (rolling updates do not drift)', () => {
    expectMatches(stddev(closes5m, 20), ti.SD.calculate({ period: 20, values: Array.from(closes5m) }), 'SD5m(20)');
  });

  it.each([20, 55])('Donchian(%i) highest high and lowest low', (period) => {
    expectMatches(rollingMax(highs, period), ti.Highest.calculate({ period, values: Array.from(highs) }), `highest(${period})`);
    expectMatches(rollingMin(lows, period), ti.Lowest.calculate({ period, values: Array.from(lows) }), `lowest(${period})`);
  });
});
