import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriesFromRows } from '@/server/core/candles';
import { aggregateBars } from '@/server/core/charts/window';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { fixtureRows } from '@/server/testing/fixtures';
import { upsertCandles } from './candles';
import { getMarketChartWindow } from './market-chart';
import { getMarketSnapshot, UNSTORED_CHART_CANDLES } from './market-view';
import { SIMULATED_EXCHANGE } from './series-key';

const key = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' };
const HOUR = 3_600_000;
const rows = fixtureRows('btc-usd-1h').slice(0, 700);
let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
  await upsertCandles(t.db, key, rows);
}, 60_000);
afterAll(async () => {
  await t?.destroy();
});

describe('GET /api/v1/market-data/chart: a window of a stored market', () => {
  it('defaults to the last maxBars candles, as stored', async () => {
    const window = await getMarketChartWindow(t.db, key, { maxBars: 100 });
    expect(window.aggregated).toBe(false);
    expect(window.candles.time).toEqual(rows.slice(-100).map((r) => r[0]));
    expect(window.candles.close).toEqual(rows.slice(-100).map((r) => r[4]));
    expect([window.first, window.last]).toEqual([rows[0]![0], rows.at(-1)![0]]);
  });

  it('zoomed out: whole buckets aggregated by the bucket rule, equal to aggregating the bars', async () => {
    const from = rows[5]![0];
    const window = await getMarketChartWindow(t.db, key, { from, to: rows.at(-1)![0] + HOUR, maxBars: 50 });
    // 695 bars spanning 695 slots: needed = ceil(695 / 49) = 15 h → 1d buckets
    expect(window.bucketMs).toBe(24 * HOUR);
    const series = seriesFromRows(rows);
    const start = rows.findIndex((r) => r[0] >= Math.floor(from / (24 * HOUR)) * 24 * HOUR);
    const { candles } = aggregateBars(series, start, series.length, 24 * HOUR);
    expect(window.candles.time).toEqual(candles.time);
    expect(window.candles.open).toEqual(candles.open);
    expect(window.candles.high).toEqual(candles.high);
    expect(window.candles.low).toEqual(candles.low);
    expect(window.candles.close).toEqual(candles.close);
    window.candles.volume.forEach((v, i) => expect(v).toBeCloseTo(candles.volume[i]!, 6));
    expect(window.candles.time.length).toBeLessThanOrEqual(50);
  });
});

describe('GET /api/v1/market-data/chart: a market with nothing stored', () => {
  const simulated = { exchange: SIMULATED_EXCHANGE, symbol: 'ETH/USDT', timeframe: '1h' };
  const NOW = Date.parse('2024-03-01T10:30:00Z');

  it('its latest candles, the ones its snapshot shows, windowed the same way', async () => {
    const snapshot = await getMarketSnapshot(t.db, { ...simulated, depth: 5, limit: 200 }, NOW);
    expect(snapshot.candleSource).toBe('simulated');
    const window = await getMarketChartWindow(t.db, simulated, { maxBars: 200 }, NOW);
    expect(window.aggregated).toBe(false);
    expect(window.candles.time, 'the last 200 candles: the snapshot’s').toEqual(snapshot.candles.map((c) => c[0]));
    expect(window.candles.close).toEqual(snapshot.candles.map((c) => c[4]));
    expect(window.last).toBe(snapshot.candles.at(-1)![0]);
    expect(window.first, 'the chart can pan back over more than the snapshot holds').toBe(window.last! - (UNSTORED_CHART_CANDLES - 1) * HOUR);
  });

  it('zoomed out: whole buckets of those candles, by the bucket rule', async () => {
    const whole = await getMarketChartWindow(t.db, simulated, { from: 0, to: NOW, maxBars: 5_000 }, NOW);
    expect(whole.candles.time).toHaveLength(UNSTORED_CHART_CANDLES);
    const series = seriesFromRows(
      whole.candles.time.map((time, i) => [
        time,
        whole.candles.open[i]!,
        whole.candles.high[i]!,
        whole.candles.low[i]!,
        whole.candles.close[i]!,
        whole.candles.volume[i]!,
      ]),
    );
    const from = whole.first! + 5 * HOUR;
    const window = await getMarketChartWindow(t.db, simulated, { from, to: NOW, maxBars: 50 }, NOW);
    // 995 bars: needed = ceil(995 / 49) = 21 h → 1d buckets, whole: the first from its midnight
    expect(window.bucketMs).toBe(24 * HOUR);
    const start = whole.candles.time.findIndex((time) => time >= Math.floor(from / (24 * HOUR)) * 24 * HOUR);
    expect(window.candles).toEqual(aggregateBars(series, start, series.length, 24 * HOUR).candles);
  });

  it('a market that does not exist is NOT_FOUND, as its snapshot', async () => {
    await expect(getMarketChartWindow(t.db, { ...simulated, symbol: 'FOO/BAR' }, {}, NOW)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
