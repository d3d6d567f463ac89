import { describe, expect, it } from 'vitest';
import { seriesFromRows } from '../candles';
import { barSegments, barsIn, buildLevel, decodeColumns, encodeColumns, levelFor, storedLevels } from './store';
import { bucketWidth } from './window';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const T0 = Date.parse('2024-03-01T00:00:00Z');

describe('the stored chart layout (server/core/charts/store.ts)', () => {
  // bars at minutes 0..4, 7..9, 20: three runs of consecutive bars
  const minutes = [0, 1, 2, 3, 4, 7, 8, 9, 20];
  const time = Float64Array.from(minutes, (k) => T0 + k * MINUTE);

  it('knows the bars inside any window from the runs of consecutive bars, without the bars', () => {
    const segments = barSegments(time, MINUTE);
    expect(segments).toEqual([
      [T0, 5],
      [T0 + 7 * MINUTE, 3],
      [T0 + 20 * MINUTE, 1],
    ]);
    for (const [from, to] of [
      [0, 30],
      [3, 8],
      [5, 7],
      [4.5, 9],
      [8, 21],
      [21, 40],
      [-5, 1],
    ] as const) {
      const inside = minutes.map((k, i) => ({ k, i })).filter(({ k }) => k >= from && k < to);
      const got = barsIn(segments, MINUTE, T0 + from * MINUTE, T0 + to * MINUTE);
      expect(got.count, `[${from}, ${to})`).toBe(inside.length);
      if (inside.length > 0) {
        expect(got.firstIndex).toBe(inside[0]!.i);
        expect(got.firstTime).toBe(T0 + inside[0]!.k * MINUTE);
        expect(got.lastTime).toBe(T0 + inside[inside.length - 1]!.k * MINUTE);
      }
    }
  });

  it('stores widths of at least 6 bars and reads a width from the widest stored one it is a multiple of', () => {
    expect(storedLevels(MINUTE).slice(0, 3)).toEqual([15 * MINUTE, 30 * MINUTE, HOUR]);
    expect(storedLevels(HOUR)[0]).toBe(6 * HOUR);
    const levels = storedLevels(MINUTE);
    expect(levelFor(4 * HOUR, levels)).toBe(4 * HOUR);
    expect(levelFor(56 * DAY, levels), 'beyond 4 weeks: a multiple of 4 weeks').toBe(28 * DAY);
    expect(levelFor(3 * MINUTE, levels), 'narrower than any stored width: from the bars').toBeNull();
  });

  it('beyond the widest listed width, a bucket is a multiple of it (so a stored width nests in it)', () => {
    // 525,600 1m bars, maxBars 10: needed = ceil(525,600 / 9) min = 58,400 min ≈ 40.6 days → 2 × 28 days
    expect(bucketWidth(T0, T0 + 525_599 * MINUTE, 525_600, MINUTE, 10)).toBe(56 * DAY);
  });

  it('a level is the bars in whole buckets, plots at the bucket’s last bar; columns survive encoding', () => {
    const series = seriesFromRows(minutes.map((k) => [T0 + k * MINUTE, 10 + k, 20 + k, k, 15 + k, 1 + k]));
    const plot = Float64Array.from(minutes, (k) => (k < 2 ? Number.NaN : k * 2));
    const at = (...ks: number[]) => Float64Array.from(ks, (k) => T0 + k * MINUTE);
    const level = buildLevel(series, [plot], 15 * MINUTE, { entryTime: at(1, 8, 20), exitTime: at(3, 9, 20) });
    expect(Array.from(level.fills.firstBuy), 'trade 0 enters first in the first bucket, trade 2 in the second').toEqual([0, 2]);
    expect(Array.from(level.fills.buys)).toEqual([2, 1]);
    expect(Array.from(level.fills.firstSell)).toEqual([0, 2]);
    expect(Array.from(level.fills.sells)).toEqual([2, 1]);
    expect(Array.from(level.series.time)).toEqual([T0, T0 + 15 * MINUTE]);
    expect(Array.from(level.series.open)).toEqual([10, 30]);
    expect(Array.from(level.series.high)).toEqual([29, 40]);
    expect(Array.from(level.series.low)).toEqual([0, 20]);
    expect(Array.from(level.series.close)).toEqual([24, 35]);
    expect(Array.from(level.series.volume)).toEqual([1 + 2 + 3 + 4 + 5 + 8 + 9 + 10, 21]);
    expect(Array.from(level.plots[0]!)).toEqual([18, 40]);
    const bytes = encodeColumns([level.series.time, level.plots[0]!], 0, 2);
    expect(decodeColumns(bytes, 2).map((c) => Array.from(c))).toEqual([Array.from(level.series.time), [18, 40]]);
    expect(Array.from(decodeColumns(encodeColumns([plot], 0, plot.length), 1)[0]!).slice(0, 3)).toEqual([Number.NaN, Number.NaN, 4]);
  });
});
