import { afterAll, beforeAll, expect, it } from 'vitest';
import type { OhlcvRow } from '@/server/core/candles';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { readCandleSeries, upsertCandles } from './candles';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.destroy());

const key = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' };
const H = 3_600_000;

it('stores candles, reports inserted vs updated, and reads back [start, end) ascending', async () => {
  const rows: OhlcvRow[] = [2, 0, 1].map((i) => [i * H, 100 + i, 110 + i, 90 + i, 105 + i, 1.5 * i]);
  expect(await upsertCandles(t.db, key, rows)).toEqual({ inserted: 3, updated: 0 });
  expect(await upsertCandles(t.db, key, [[1 * H, 1, 2, 0.5, 1.5, 7]]), 'same key replaces').toEqual({ inserted: 0, updated: 1 });

  const series = await readCandleSeries(t.db, key, 0, 2 * H);
  expect(Array.from(series.time), 'end is exclusive, order ascending').toEqual([0, H]);
  expect(series.close[1]).toBe(1.5);
  expect(series.volume[1]).toBe(7);
  expect((await readCandleSeries(t.db, { ...key, timeframe: '4h' }, 0, 10 * H)).length, 'series are keyed by timeframe').toBe(0);
});
