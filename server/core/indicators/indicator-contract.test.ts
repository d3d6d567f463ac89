import { describe, expect, it } from 'vitest';
import { EMA, ema } from './ema';
import { MACD, macd } from './macd';
import { DonchianChannel, RollingMax, RollingMin, donchian, rollingMax, rollingMin } from './rolling-extreme';
import { RSI, rsi } from './rsi';
import { SMA, sma } from './sma';
import { StandardDeviation, stddev } from './stddev';
import { fixtureRows } from '@/server/testing/fixtures';

const rows = fixtureRows('btc-usd-1h');
const closes = Float64Array.from(rows.slice(0, 600), (r) => r[4]!);
const highs = Float64Array.from(rows.slice(0, 600), (r) => r[2]!);
const lows = Float64Array.from(rows.slice(0, 600), (r) => r[3]!);

/** One streaming indicator under test: how to build it, feed bar i, read a comparable number, and its batch form. */
interface Case {
  name: string;
  make: () => { warmup: number; readonly value: unknown; readonly isStable: boolean; reset(): void };
  feed: (indicator: never, i: number) => unknown;
  scalar: (result: unknown) => number;
  batch: () => Float64Array;
}

const num = (r: unknown) => r as number;
const cases: Case[] = [
  { name: 'SMA(20)', make: () => new SMA(20), feed: (x: SMA, i) => x.update(closes[i]!), scalar: num, batch: () => sma(closes, 20) },
  { name: 'EMA(12)', make: () => new EMA(12), feed: (x: EMA, i) => x.update(closes[i]!), scalar: num, batch: () => ema(closes, 12) },
  { name: 'RSI(14)', make: () => new RSI(14), feed: (x: RSI, i) => x.update(closes[i]!), scalar: num, batch: () => rsi(closes, 14) },
  {
    name: 'StandardDeviation(20)',
    make: () => new StandardDeviation(20),
    feed: (x: StandardDeviation, i) => x.update(closes[i]!),
    scalar: num,
    batch: () => stddev(closes, 20),
  },
  { name: 'RollingMax(15)', make: () => new RollingMax(15), feed: (x: RollingMax, i) => x.update(highs[i]!), scalar: num, batch: () => rollingMax(highs, 15) },
  { name: 'RollingMin(15)', make: () => new RollingMin(15), feed: (x: RollingMin, i) => x.update(lows[i]!), scalar: num, batch: () => rollingMin(lows, 15) },
  {
    name: 'MACD(12,26,9)',
    make: () => new MACD(12, 26, 9),
    feed: (x: MACD, i) => x.update(closes[i]!),
    scalar: (r) => (r as { histogram: number }).histogram,
    batch: () => macd(closes, 12, 26, 9).histogram,
  },
  {
    name: 'DonchianChannel(20)',
    make: () => new DonchianChannel(20),
    feed: (x: DonchianChannel, i) => x.update(highs[i]!, lows[i]!),
    scalar: (r) => (r as { upper: number }).upper,
    batch: () => donchian(highs, lows, 20).upper,
  },
];

describe.each(cases)('streaming indicator contract: $name', (c) => {
  const feed = c.feed as (indicator: unknown, i: number) => unknown;

  it('returns null exactly until the warmup-th update, and `value`/`isStable` agree with the last update', () => {
    const indicator = c.make();
    for (let i = 0; i < closes.length; i++) {
      const result = feed(indicator, i);
      if (i < indicator.warmup - 1) expect(result, `update #${i + 1} is inside the warmup of ${indicator.warmup}`).toBeNull();
      else expect(result, `update #${i + 1} is past the warmup of ${indicator.warmup}`).not.toBeNull();
      expect(indicator.value, 'value getter returns what update returned').toEqual(result);
      expect(indicator.isStable, 'isStable means a value exists').toBe(result !== null);
    }
  });

  it('reset() gives the same outputs as a fresh instance', () => {
    const used = c.make();
    for (let i = 0; i < 100; i++) feed(used, i);
    used.reset();
    expect(used.value, 'reset clears the value').toBeNull();
    expect(used.isStable, 'reset clears stability').toBe(false);
    const fresh = c.make();
    for (let i = 200; i < 400; i++) {
      expect(feed(used, i), `a reset instance must not remember old inputs (update ${i})`).toEqual(feed(fresh, i));
    }
  });

  it('the batch form equals the streaming form, with NaN where streaming gives null', () => {
    const batch = c.batch();
    const indicator = c.make();
    expect(batch.length, 'one output per input').toBe(closes.length);
    for (let i = 0; i < closes.length; i++) {
      const result = feed(indicator, i);
      if (result === null) expect(Number.isNaN(batch[i]!), `batch[${i}] is NaN while warming up`).toBe(true);
      else expect(batch[i], `batch[${i}] equals streaming`).toBe(c.scalar(result));
    }
  });
});

describe('indicator edge cases', () => {
  it('a constant window has a standard deviation of exactly 0, even after varied inputs', () => {
    const sd = new StandardDeviation(5);
    for (const v of [1.1, 7.3, 2.9, 10.01, 3.3]) sd.update(v);
    let last: number | null = null;
    for (let k = 0; k < 5; k++) last = sd.update(0.3);
    expect(last, 'five equal inputs in a window of five have no dispersion').toBe(0);
    expect(sd.update(0.4)! > 0, 'one different input makes it positive again').toBe(true);
  });

  it('rejects a period that is not a positive integer', () => {
    expect(() => new SMA(0), 'period 0 is meaningless').toThrow(/period/);
    expect(() => new EMA(2.5), 'fractional periods are meaningless').toThrow(/period/);
  });

  it('RSI is 100 with no losses and 0 with no gains', () => {
    expect(rsi(Float64Array.from([1, 2, 3, 4, 5]), 3)[4], 'only gains').toBe(100);
    expect(rsi(Float64Array.from([5, 4, 3, 2, 1]), 3)[4], 'only losses').toBe(0);
  });
});
