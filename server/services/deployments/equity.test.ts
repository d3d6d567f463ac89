import { describe, expect, it } from 'vitest';
import { curveBucketMs, MAX_DEPLOYMENT_CURVE_POINTS } from './equity';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('curveBucketMs: the spacing of a deployment curve', () => {
  it('is the timeframe while the bars fit, else the smallest bucket that fits and is a whole number of bars', () => {
    expect(curveBucketMs(HOUR, 1200 * HOUR)).toBe(HOUR);
    expect(curveBucketMs(MINUTE, MAX_DEPLOYMENT_CURVE_POINTS * MINUTE)).toBe(MINUTE);
    expect(curveBucketMs(MINUTE, 3 * DAY), '4,320 minutes → 5-minute buckets (864)').toBe(5 * MINUTE);
    expect(curveBucketMs(MINUTE, 365 * DAY), 'a year of minutes → days (365)').toBe(DAY);
    expect(curveBucketMs(4 * HOUR, 2 * 365 * DAY), '4,380 4-hour bars → days (730), not 1 h (finer than a bar)').toBe(DAY);
    expect(curveBucketMs(3 * MINUTE, 10 * DAY), '3-minute bars: 15-minute buckets, a multiple of 3 minutes (5 min is not)').toBe(15 * MINUTE);
  });

  it('beyond every candidate, whole bars spread evenly', () => {
    const bucket = curveBucketMs(DAY, 100 * 365 * DAY);
    expect(bucket % DAY).toBe(0);
    expect((100 * 365 * DAY) / bucket).toBeLessThanOrEqual(MAX_DEPLOYMENT_CURVE_POINTS);
  });
});
