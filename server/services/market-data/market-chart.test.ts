import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriesFromRows } from '@/server/core/candles';
import { aggregateBars } from '@/server/core/charts/window';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { fixtureRows } from '@/server/testing/fixtures';
import { upsertCandles } from './candles';
import { getMarketChartWindow } from './market-chart';

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

  it('a market with nothing stored is an empty window', async () => {
    const window = await getMarketChartWindow(t.db, { ...key, symbol: 'ETH/USDT' }, {});
    expect(window.candles.time).toEqual([]);
    expect(window.first).toBeNull();
  });
});
