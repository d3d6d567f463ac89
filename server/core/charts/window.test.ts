import { describe, expect, it } from 'vitest';
import { seriesFromRows } from '../candles';
import { bucketWidth, candleTimeOf, windowBars, windowPlots } from './window';

const MINUTE = 60_000;
const T0 = Date.parse('2024-03-01T00:00:00Z');

/** 1m bars at minutes 2..13 except 7 (a gap): open 100+k, high 100+k+(k mod 3), low 99+k−(k mod 2), close 100.5+k, volume k. */
const minutes = [2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13];
const series = seriesFromRows(minutes.map((k) => [T0 + k * MINUTE, 100 + k, 100 + k + (k % 3), 99 + k - (k % 2), 100.5 + k, k]));

describe('chart window aggregation (docs/backtesting.md, "Chart windows")', () => {
  it('keeps the bars as they are when the window holds no more than maxBars', () => {
    const { candles, bucketMs, lastIndex } = windowBars(series, T0, T0 + 60 * MINUTE, MINUTE, 11);
    expect(bucketMs).toBe(MINUTE);
    expect(candles.time).toEqual(minutes.map((k) => T0 + k * MINUTE));
    expect(candles.close).toEqual(minutes.map((k) => 100.5 + k));
    expect(lastIndex).toEqual(minutes.map((_, i) => i));
  });

  it('aggregates 11 bars spanning 12 slots into 5-minute buckets for maxBars 4 (hand-computed)', () => {
    // slots = 12, needed = ceil(12 / 3) = 4 min, the first bucket width ≥ 4 min that is a multiple of 1 min: 5 min
    expect(bucketWidth(T0 + 2 * MINUTE, T0 + 13 * MINUTE, 11, MINUTE, 4)).toBe(5 * MINUTE);
    const { candles, bucketMs, lastIndex } = windowBars(series, T0, T0 + 60 * MINUTE, MINUTE, 4);
    expect(bucketMs).toBe(5 * MINUTE);
    expect(candles).toEqual({
      // [00:00, 00:05): minutes 2, 3, 4 · [00:05, 00:10): 5, 6, 8, 9 (7 missing) · [00:10, 00:15): 10..13
      time: [T0, T0 + 5 * MINUTE, T0 + 10 * MINUTE],
      open: [102, 105, 110],
      high: [105, 110, 114],
      low: [101, 103, 109],
      close: [104.5, 109.5, 113.5],
      volume: [9, 28, 46],
    });
    expect(lastIndex, 'each bucket ends on its last bar').toEqual([2, 6, 10]);
  });

  it('cuts the window at from (inclusive) and to (exclusive) before aggregating', () => {
    const { candles } = windowBars(series, T0 + 3 * MINUTE, T0 + 12 * MINUTE, MINUTE, 1000);
    expect(candles.time).toEqual([3, 4, 5, 6, 8, 9, 10, 11].map((k) => T0 + k * MINUTE));
    expect(windowBars(series, T0 + 14 * MINUTE, T0 + 20 * MINUTE, MINUTE, 1000).candles.time).toEqual([]);
  });

  it('never returns more than maxBars candles, however the window is placed', () => {
    const long = seriesFromRows(Array.from({ length: 10_000 }, (_, i) => [T0 + i * MINUTE, 1, 2, 0.5, 1.5, 1]));
    for (const maxBars of [10, 37, 500, 999, 1000, 4999]) {
      for (const offset of [0, 7, 333]) {
        const { candles } = windowBars(long, T0 + offset * MINUTE, T0 + 10_000 * MINUTE, MINUTE, maxBars);
        expect(candles.time.length, `maxBars ${maxBars}, offset ${offset}`).toBeLessThanOrEqual(maxBars);
        expect(
          candles.volume.reduce((a, b) => a + b, 0),
          'every bar counted once',
        ).toBe(10_000 - offset);
      }
    }
  });

  it("reads each plot at its candle's last bar and shows warming-up values as null", () => {
    const values = { ma: Float64Array.from([NaN, NaN, 1, 2, 3, 4, 5, 6, 7, 8, 9]) };
    const { lastIndex } = windowBars(series, T0, T0 + 60 * MINUTE, MINUTE, 4);
    expect(windowPlots(values, lastIndex)).toEqual({ ma: [1, 5, 9] });
    expect(windowPlots(values, [0, 1, 2])).toEqual({ ma: [null, null, 1] });
  });

  it('puts a marker on the candle its bar falls in', () => {
    expect(candleTimeOf(T0 + 8 * MINUTE, 5 * MINUTE, MINUTE)).toBe(T0 + 5 * MINUTE);
    expect(candleTimeOf(T0 + 8 * MINUTE, MINUTE, MINUTE)).toBe(T0 + 8 * MINUTE);
  });
});
