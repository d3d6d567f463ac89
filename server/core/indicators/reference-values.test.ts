import * as ti from 'technicalindicators';
import { describe, expect, it } from 'vitest';
import { ema } from './ema';
import { macd } from './macd';
import { rollingMax, rollingMin } from './rolling-extreme';
import { RSI } from './rsi';
import { sma } from './sma';
import { stddev } from './stddev';
import { fixtureRows } from '@/server/testing/fixtures';

// Coinbase BTC/USD 1h (20,106 candles, 2017-2019, with flat zero-volume stretches) and ETH/USD 4h (2016-2025).
const btc = fixtureRows('btc-usd-1h');
const closes = Float64Array.from(btc, (r) => r[4]);
const highs = Float64Array.from(btc, (r) => r[2]);
const lows = Float64Array.from(btc, (r) => r[3]);
const ethCloses = Float64Array.from(fixtureRows('eth-usd-4h'), (r) => r[4]);
const TOLERANCE = 1e-9;

/**
 * Compares our batch output (NaN-padded) with a reference list that starts at the first defined index,
 * relative to the expected value or to `floor` when that is smaller (a deviation near 0 on a flat stretch).
 */
function expectMatches(ours: Float64Array, reference: number[], label: string, floor = 1e-12) {
  const offset = ours.length - reference.length;
  expect(reference.length > 100, `${label}: the reference produced values`).toBe(true);
  for (let i = 0; i < ours.length; i++) {
    if (i < offset) {
      expect(Number.isNaN(ours[i]!), `${label}[${i}] must still be warming up`).toBe(true);
      continue;
    }
    const expected = reference[i - offset]!;
    const relative = Math.abs(ours[i]! - expected) / Math.max(Math.abs(expected), floor);
    if (!(relative <= TOLERANCE)) expect.fail(`${label}[${i}] = ${ours[i]} but technicalindicators gives ${expected}`);
  }
}

describe('indicators agree with technicalindicators on real BTC/USD 1h closes', () => {
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
    expectMatches(
      ours.macd,
      reference.map((r) => r.MACD!),
      'MACD line',
    );
    const withSignal = reference.filter((r) => r.signal !== undefined);
    expectMatches(
      ours.signal,
      withSignal.map((r) => r.signal!),
      'signal',
    );
    expectMatches(
      ours.histogram,
      withSignal.map((r) => r.histogram!),
      'histogram',
    );
  });

  it.each([10, 20, 100])('population standard deviation(%i) on 1h BTC closes (within 1e-9 USD where it is below 1 USD)', (period) => {
    expectMatches(stddev(closes, period), ti.SD.calculate({ period, values: Array.from(closes) }), `SD(${period})`, 1);
  });

  it('population standard deviation is exactly 0 over a flat stretch (the outage hours of 2018-08-10, filled with one price)', () => {
    const start = btc.findIndex((r) => r[0] === Date.UTC(2018, 7, 10, 2));
    const flat = btc.slice(start, start + 14);
    expect(
      flat.every((r) => r[5] === 0 && r[4] === flat[0]![4]),
      '14 zero-volume candles at one close',
    ).toBe(true);
    // technicalindicators leaves about 2e-11 of its running sums there; ours restarts from exact values.
    expect(stddev(closes, 10)[start + 13], 'the last 10 closes are equal').toBe(0);
  });

  it('population standard deviation(20) over 20,675 ETH 4h closes from 12 to 4,800 USD (rolling updates do not drift)', () => {
    expectMatches(stddev(ethCloses, 20), ti.SD.calculate({ period: 20, values: Array.from(ethCloses) }), 'SD ETH 4h(20)');
  });

  it.each([20, 55])('Donchian(%i) highest high and lowest low', (period) => {
    expectMatches(rollingMax(highs, period), ti.Highest.calculate({ period, values: Array.from(highs) }), `highest(${period})`);
    expectMatches(rollingMin(lows, period), ti.Lowest.calculate({ period, values: Array.from(lows) }), `lowest(${period})`);
  });
});
