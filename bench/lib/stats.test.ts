import { describe, expect, it } from 'vitest';
import { median, percentile, percentileOfSorted, roundTo, summarize } from './stats';

describe('bench stats', () => {
  it('takes the median of odd and even counts without reordering the input', () => {
    const input = [5, 1, 3];
    expect(median(input)).toBe(3);
    expect(input, 'the caller’s array is not sorted in place').toEqual([5, 1, 3]);
    expect(median([4, 1, 3, 2]), 'mean of the two middle values').toBe(2.5);
  });

  it('summarises runs as median, min, max and count', () => {
    expect(summarize([10, 30, 20, 50, 40])).toEqual({ median: 30, min: 10, max: 50, runs: 5 });
  });

  it('uses nearest-rank percentiles, so p99 is a latency some request really had', () => {
    const latencies = Array.from({ length: 100 }, (_, k) => k + 1); // 1..100 ms
    expect(percentile(latencies, 50)).toBe(50);
    expect(percentile(latencies, 99)).toBe(99);
    expect(percentile(latencies, 100)).toBe(100);
    expect(percentile(latencies, 0)).toBe(1);
    expect(percentileOfSorted([1, 2, 3, 1000], 99), 'one slow request out of four is the p99').toBe(1000);
  });

  it('refuses empty and non-finite input instead of reporting a made-up figure', () => {
    expect(() => median([])).toThrow(RangeError);
    expect(() => summarize([1, Number.NaN])).toThrow(RangeError);
    expect(() => percentile([1, 2], 101)).toThrow(RangeError);
  });

  it('rounds to significant digits', () => {
    expect(roundTo(12_345_678, 3)).toBe(12_300_000);
    expect(roundTo(0.000123456, 2)).toBe(0.00012);
  });
});
