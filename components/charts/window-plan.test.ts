import { describe, expect, it } from 'vitest';
import { logicalOfTime, thinMarkers, timeOfLogical } from './bar-scale';
import { firstWindowRequest, needsWindow, windowRequest } from './window-plan';

const MIN = 60_000;
const DAY = 1_440 * MIN;

describe('the bar scale', () => {
  const times = [0, MIN, 2 * MIN, 5 * MIN]; // a gap of two bars before the last
  it('maps bars to their times, fractions between, and whole buckets past either end', () => {
    expect(timeOfLogical(times, MIN, 1)).toBe(MIN);
    expect(timeOfLogical(times, MIN, 2.5)).toBe(3.5 * MIN);
    expect(timeOfLogical(times, MIN, -10)).toBe(-10 * MIN);
    expect(timeOfLogical(times, MIN, 3 + 100)).toBe(105 * MIN);
  });
  it('is inverted by logicalOfTime', () => {
    for (const logical of [-7.25, 0, 0.5, 2.75, 3, 40]) expect(logicalOfTime(times, MIN, timeOfLogical(times, MIN, logical))).toBeCloseTo(logical, 9);
  });
});

describe('the window plan', () => {
  // A year of 1m bars; the chart holds 300 one-minute candles around day 100 after zooming in and panning.
  const year = { first: 0, last: 365 * DAY - MIN };
  const held = { ...year, from: 100 * DAY, to: 100 * DAY + 300 * MIN, bucketMs: MIN, aggregated: false };
  const width = 1_000;

  it('asks for the visible range plus a span either side, at one candle per three pixels of the view', () => {
    const request = windowRequest({ from: 100 * DAY + 100 * MIN, to: 100 * DAY + 200 * MIN }, held, width)!;
    expect(request).toEqual({ from: 100 * DAY, to: 100 * DAY + 300 * MIN, maxBars: 1_000 });
  });

  it('zoomed out past the candles held, it asks for the wide view at a maxBars that makes the server aggregate', () => {
    // the user zoomed out until 30 days are in view: far more than the 300 candles held
    const visible = { from: 85 * DAY, to: 115 * DAY };
    expect(needsWindow(held, visible, width)).toBe(true);
    const request = windowRequest(visible, held, width)!;
    expect(request.from).toBe(55 * DAY);
    expect(request.to).toBe(145 * DAY);
    // 90 days of minutes (129,600 bars) in 1,000 candles: buckets of over two hours
    expect((request.to! - request.from!) / MIN / request.maxBars!).toBeGreaterThan(120);
  });

  it('at the series’ ends it asks only for what exists, with maxBars scaled to the part in view', () => {
    const request = windowRequest({ from: -10 * DAY, to: 10 * DAY }, held, width)!;
    expect(request).toEqual({ from: 0, to: 20 * DAY, maxBars: 667 });
  });

  it('a live series’ new bars are inside the bounds', () => {
    const request = windowRequest({ from: 364 * DAY, to: 366 * DAY }, held, width, 365 * DAY + 10 * MIN)!;
    expect(request.to).toBe(365 * DAY + 10 * MIN + 1);
  });

  it('the first window is the one a chart as wide as the viewport would ask for', () => {
    expect(firstWindowRequest(1_280)).toEqual({ maxBars: 427 });
    expect(firstWindowRequest(390)).toEqual({ maxBars: 130 });
    expect(firstWindowRequest(20_000)).toEqual({ maxBars: 5_000 });
    for (const viewport of [320, 390, 1_024, 1_280, 2_560]) expect(firstWindowRequest(viewport)).toEqual(windowRequest(null, null, viewport));
  });

  it('no new window while the view stays inside the one held at a fitting density', () => {
    expect(needsWindow(held, { from: 100 * DAY + 100 * MIN, to: 100 * DAY + 200 * MIN }, width)).toBe(false);
    const wide = { ...held, from: 0, to: 365 * DAY, bucketMs: DAY, aggregated: true };
    expect(needsWindow(wide, { from: -30 * DAY, to: 400 * DAY }, width), 'the whole year held, zoomed out past it').toBe(false);
    expect(needsWindow(wide, { from: 100 * DAY, to: 110 * DAY }, width), 'zoomed in on aggregated candles').toBe(true);
  });
});

describe('markers drawn when zoomed out', () => {
  const times = Array.from({ length: 100 }, (_, i) => i * MIN);
  const markers = times.flatMap((t, i) => [
    { time: t, side: 'buy', n: 2 * i },
    { time: t, side: 'sell', n: 2 * i + 1 },
  ]);
  it('all of them when bars are wide enough', () => {
    expect(thinMarkers(markers, times, MIN, 8)).toHaveLength(200);
  });
  it('at 1 px a bar, one per side in every 6 bars: the first', () => {
    const drawn = thinMarkers(markers, times, MIN, 1);
    expect(drawn).toHaveLength(2 * Math.ceil(100 / 6));
    expect(drawn.slice(0, 4).map((m) => m.n)).toEqual([0, 1, 12, 13]);
  });
});
