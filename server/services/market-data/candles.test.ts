import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allocateSeries, type OhlcvRow } from '@/server/core/candles';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { candleRange, readCandlePage, readCandleSeries, upsertCandles } from './candles';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.destroy());

const key = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' };
const H = 3_600_000;

describe('upsertCandles (COPY into a temp table, then INSERT ... ON CONFLICT)', () => {
  it('stores candles, reports inserted vs updated vs unchanged, and reads back [start, end) ascending', async () => {
    const rows: OhlcvRow[] = [0, 1, 2].map((i) => [i * H, 100 + i, 110 + i, 90 + i, 105 + i, 1.5 * i]);
    expect(await upsertCandles(t.db, key, rows)).toEqual({ inserted: 3, updated: 0, unchanged: 0 });
    expect(
      await upsertCandles(t.db, key, [
        [1 * H, 1, 2, 0.5, 1.5, 7],
        [2 * H, 102, 112, 92, 107, 3],
        [3 * H, 5, 6, 4, 5, 1],
      ]),
      'one changed, one identical, one new',
    ).toEqual({
      inserted: 1,
      updated: 1,
      unchanged: 1,
    });

    const series = await readCandleSeries(t.db, key, 0, 2 * H);
    expect(Array.from(series.time), 'end is exclusive, order ascending').toEqual([0, H]);
    expect(series.close[1], 'the update replaced the stored close').toBe(1.5);
    expect(series.volume[1]).toBe(7);
    expect((await readCandleSeries(t.db, { ...key, timeframe: '4h' }, 0, 10 * H)).length, 'series are keyed by timeframe').toBe(0);
  });

  it('round-trips exact float64 values, large and negative-exponent ones, through binary COPY both ways', async () => {
    const k = { ...key, symbol: 'PREC/USDT' };
    const time = Date.UTC(2024, 5, 1);
    const row: OhlcvRow = [time, 0.1 + 0.2, 1e15 + 0.5, 1e-12, 0.30000000000000004, 123456789.123456789];
    await upsertCandles(t.db, k, [row]);
    const series = await readCandleSeries(t.db, k, 0, Number.MAX_SAFE_INTEGER);
    expect([series.time[0], series.open[0], series.high[0], series.low[0], series.close[0], series.volume[0]], 'bit-exact').toEqual(row);
  });

  it('reads a series back ascending when the heap holds it out of time order, packed and row by row', async () => {
    const k = { ...key, symbol: 'HEAP/USDT' };
    // Stored newest first, then an update that moves an old bar to the heap's end: the database returns heap order.
    await upsertCandles(t.db, k, [[5 * H, 5, 6, 4, 5, 1]]);
    await upsertCandles(
      t.db,
      k,
      [0, 1, 2, 3, 4].map((i): OhlcvRow => [i * H, i, i + 1, i - 1, i, 1]),
    );
    await upsertCandles(t.db, k, [[2 * H, 2, 3, 1, 2.5, 9]]);
    // Without an index scan (which a year-long range does not get either), rows come in heap order.
    const [packed, rows] = await t.db.transaction(async (tx) => {
      await tx.execute(sql`set local enable_indexscan = off`);
      return [await readCandleSeries(tx, k, 0, 10 * H, { packed: true }), await readCandleSeries(tx, k, 0, 10 * H)];
    });
    for (const series of [packed, rows]) {
      expect(Array.from(series.time), 'ascending whatever the heap order').toEqual([0, H, 2 * H, 3 * H, 4 * H, 5 * H]);
      expect(Array.from(series.close), 'each column reordered with its time').toEqual([0, 1, 2.5, 3, 4, 5]);
      expect(Array.from(series.volume)).toEqual([1, 1, 9, 1, 1, 1]);
    }
    expect((await readCandleSeries(t.db, k, 10 * H, 20 * H, { packed: true })).length, 'an empty packed range').toBe(0);
  });

  it('accepts a columnar series and reads 20,000 candles back across many COPY chunks', async () => {
    const k = { ...key, symbol: 'BULK/USDT', timeframe: '1m' };
    const n = 20_000;
    const s = allocateSeries(n);
    for (let i = 0; i < n; i++) {
      s.time[i] = i * 60_000;
      s.open[i] = 100 + i;
      s.high[i] = 101 + i;
      s.low[i] = 99 + i;
      s.close[i] = 100.5 + i;
      s.volume[i] = i;
    }
    expect(await upsertCandles(t.db, k, s)).toEqual({ inserted: n, updated: 0, unchanged: 0 });
    expect(await upsertCandles(t.db, k, s), 'a re-import of the same data rewrites nothing').toEqual({ inserted: 0, updated: 0, unchanged: n });
    const back = await readCandleSeries(t.db, k, 0, Number.MAX_SAFE_INTEGER);
    expect(back.length).toBe(n);
    expect(Array.from(back.time.subarray(0, 3))).toEqual([0, 60_000, 120_000]);
    expect(back.close[n - 1], 'last row decoded').toBe(100.5 + n - 1);
    expect(
      back.volume.reduce((a, b) => a + b, 0),
      'every row decoded',
    ).toBe((n * (n - 1)) / 2);
  });

  it('refuses unsorted or duplicate times (they must be validated first)', async () => {
    await expect(
      upsertCandles(t.db, key, [
        [2 * H, 1, 1, 1, 1, 1],
        [H, 1, 1, 1, 1, 1],
      ]),
    ).rejects.toThrow(/strictly ascending/);
    await expect(
      upsertCandles(t.db, key, [
        [H, 1, 1, 1, 1, 1],
        [H, 1, 1, 1, 1, 1],
      ]),
    ).rejects.toThrow(/strictly ascending/);
  });

  it('runs inside a caller transaction (savepoint) and rolls back with it', async () => {
    const k = { ...key, symbol: 'TX/USDT' };
    await expect(
      t.db.transaction(async (tx) => {
        expect(await upsertCandles(tx, k, [[0, 1, 1, 1, 1, 1]])).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
        expect(await upsertCandles(tx, k, [[H, 1, 1, 1, 1, 1]]), 'a second call in the same transaction reuses the temp table').toEqual({
          inserted: 1,
          updated: 0,
          unchanged: 0,
        });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect((await readCandleSeries(t.db, k, 0, 10 * H)).length, 'rolled back with the caller').toBe(0);
  });

  it('quotes series names safely in the COPY statement', async () => {
    const k = { exchange: "o'brien", symbol: "X'; drop table candles; --", timeframe: '1h' };
    await upsertCandles(t.db, k, [[0, 1, 1, 1, 1, 1]]);
    expect((await readCandleSeries(t.db, k, 0, H)).length, 'quote doubled, read back').toBe(1);
  });
});

describe('reads', () => {
  it('pages with a cursor: limit rows, then the next page starts at nextTimeMs', async () => {
    const k = { ...key, symbol: 'PAGE/USDT' };
    await upsertCandles(
      t.db,
      k,
      Array.from({ length: 7 }, (_, i) => [i * H, 1, 2, 0.5, 1, i] as OhlcvRow),
    );
    const first = await readCandlePage(t.db, k, 0, 100 * H, 3);
    expect(first.candles.map((c) => c[0])).toEqual([0, H, 2 * H]);
    expect(first.nextTimeMs, 'cursor = open time of the next candle').toBe(3 * H);
    const second = await readCandlePage(t.db, k, first.nextTimeMs!, 100 * H, 3);
    const third = await readCandlePage(t.db, k, second.nextTimeMs!, 100 * H, 3);
    expect(
      third.candles.map((c) => c[5]),
      'last page',
    ).toEqual([6]);
    expect(third.nextTimeMs, 'no page after the last').toBeNull();
    expect(
      (await readCandlePage(t.db, k, H, 3 * H, 10)).candles.map((c) => c[0]),
      'start inclusive, end exclusive',
    ).toEqual([H, 2 * H]);
  });

  it('reports the stored range of a series (a replay deployment completes at its end)', async () => {
    const k = { ...key, symbol: 'SRC/USDT' };
    await upsertCandles(t.db, k, [
      [2 * H, 1, 1, 1, 1, 1],
      [5 * H, 1, 1, 1, 1, 1],
    ]);
    expect(await candleRange(t.db, k)).toEqual({ firstMs: 2 * H, lastMs: 5 * H });
    expect(await candleRange(t.db, { ...k, symbol: 'NONE/USDT' }), 'null when nothing stored').toBeNull();
    expect(Array.from((await readCandleSeries(t.db, k, 0, 5 * H)).time)).toEqual([2 * H]);
  });
});

describe('read connection hygiene', () => {
  it('a COPY read that ends inside one socket read (16-64 kB) leaves its connection usable', async () => {
    // 600 candles ≈ 44 kB of COPY data: arrives in one socket read, more than the stream's 16 kB buffer.
    const k = { ...key, symbol: 'HYG/USDT' };
    await upsertCandles(
      t.db,
      k,
      Array.from({ length: 600 }, (_, i) => [i * H, 1, 2, 0.5, 1, i] as OhlcvRow),
    );
    for (let round = 0; round < 8; round++) {
      expect((await readCandleSeries(t.db, k, 0, 600 * H)).length).toBe(600);
      expect(await upsertCandles(t.db, k, [[600 * H + round * H, 1, 2, 0.5, 1, 1]]), 'the pool connection answers the next query').toMatchObject({
        inserted: 1,
      });
    }
  });
});
