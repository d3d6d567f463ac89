import { describe, expect, it } from 'vitest';
import { heatColour, heatScale, legendRange, metricPivot } from './heat-scale';

describe('sweep heatmap colour scale', () => {
  const returns = heatScale([-10, -2, 0, 3, 15], 'totalReturnPct');

  it('diverges at zero: positive in the gain colour, negative in the loss colour, zero neutral', () => {
    expect(heatColour(15, returns)).toMatchObject({ tone: 'gain', intensity: 1 });
    expect(heatColour(15, returns).background).toContain('var(--gain)');
    expect(heatColour(-10, returns).tone).toBe('loss');
    expect(heatColour(-10, returns).background).toContain('var(--loss)');
    expect(heatColour(0, returns)).toMatchObject({ tone: 'neutral', intensity: 0, background: 'var(--panel-2)' });
    // The bug this replaces: the best value of an all-positive sweep was green, but a small positive one was red.
    const allPositive = heatScale([1, 15], 'totalReturnPct');
    expect(heatColour(1, allPositive).tone).toBe('gain');
  });

  it('is symmetric and grows monotonically with the distance from zero on both sides', () => {
    expect(heatColour(-10, returns).intensity).toBeCloseTo(10 / 15);
    expect(heatColour(10, returns).intensity).toBeCloseTo(heatColour(-10, returns).intensity);
    const share = (bg: string) => Number(/ (\d+)%/.exec(bg)![1]);
    let last = -1;
    let lastShare = -1;
    for (const v of [0.01, 1, 2, 5, 8, 12, 15]) {
      const c = heatColour(v, returns);
      expect(c.intensity).toBeGreaterThan(last);
      expect(share(c.background)).toBeGreaterThanOrEqual(lastShare);
      last = c.intensity;
      lastShare = share(c.background);
    }
    last = -1;
    for (const v of [-0.01, -1, -4, -9, -15]) {
      const c = heatColour(v, returns);
      expect(c.tone).toBe('loss');
      expect(c.intensity).toBeGreaterThan(last);
      last = c.intensity;
    }
    expect(heatColour(0.01, returns).background).not.toBe('var(--panel-2)');
  });

  it('flips the sides for a metric where lower is better and pivots where the metric breaks even', () => {
    const drawdown = heatScale([5, 20], 'maxDrawdownPct');
    expect(heatColour(20, drawdown)).toMatchObject({ tone: 'loss', intensity: 1 });
    expect(heatColour(5, drawdown).intensity).toBeLessThan(heatColour(20, drawdown).intensity);
    expect(metricPivot('profitFactor')).toBe(1);
    const pf = heatScale([0.5, 1, 2], 'profitFactor');
    expect(heatColour(0.5, pf).tone).toBe('loss');
    expect(heatColour(1, pf).tone).toBe('neutral');
    expect(heatColour(Number.POSITIVE_INFINITY, pf)).toMatchObject({ tone: 'gain', intensity: 1 });
    expect(heatColour(Number.NaN, pf).tone).toBe('none');
  });

  it('gives metrics without a good side a one-hue scale', () => {
    const trades = heatScale([4, 10, 16], 'tradeCount');
    expect(heatColour(4, trades)).toMatchObject({ tone: 'scale', intensity: 0 });
    expect(heatColour(16, trades)).toMatchObject({ tone: 'scale', intensity: 1 });
    expect(legendRange(trades)).toEqual({ min: 4, max: 16, pivotAt: null });
  });

  it('places the break-even on the legend between its ends', () => {
    expect(legendRange(returns)).toEqual({ min: -10, max: 15, pivotAt: 10 / 25 });
    expect(legendRange(heatScale([2, 6], 'totalReturnPct'))).toEqual({ min: 0, max: 6, pivotAt: 0 });
    const flat = heatScale([3, 3], 'sharpeRatio');
    expect(heatColour(3, flat)).toMatchObject({ tone: 'gain', intensity: 1 });
  });
});
