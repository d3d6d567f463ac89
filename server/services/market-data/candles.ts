import { sql } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { allocateSeries, type CandleSeries, type OhlcvRow } from '@/server/core/candles';

export interface SeriesKey {
  exchange: string;
  symbol: string;
  timeframe: string;
}

/**
 * The stored candles of one series with startMs <= time < endMs, ascending, in columnar form.
 * (Baseline implementation; the market-data work makes the hot path fast.)
 */
export async function readCandleSeries(db: DbOrTx, key: SeriesKey, startMs: number, endMs: number): Promise<CandleSeries> {
  const rows = await db.execute<{ time: string; open: number; high: number; low: number; close: number; volume: number }>(sql`
    select time, open, high, low, close, volume from candles
    where exchange = ${key.exchange} and symbol = ${key.symbol} and timeframe = ${key.timeframe}
      and time >= ${startMs} and time < ${endMs}
    order by time`);
  const series = allocateSeries(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    series.time[i] = Number(row.time);
    series.open[i] = row.open;
    series.high[i] = row.high;
    series.low[i] = row.low;
    series.close[i] = row.close;
    series.volume[i] = row.volume;
  }
  return series;
}

/**
 * Upserts already-validated candles of one series (validate with server/core/market first).
 * Returns how many rows were new and how many replaced stored ones.
 * (Baseline implementation with unnest; the market-data work adds the COPY path.)
 */
export async function upsertCandles(db: DbOrTx, key: SeriesKey, rows: readonly OhlcvRow[]): Promise<{ inserted: number; updated: number }> {
  if (rows.length === 0) return { inserted: 0, updated: 0 };
  const column = (k: number) => `{${rows.map((r) => r[k]).join(',')}}`;
  const result = await db.execute<{ inserted: boolean }>(sql`
    insert into candles (exchange, symbol, timeframe, time, open, high, low, close, volume)
    select ${key.exchange}, ${key.symbol}, ${key.timeframe}, t, o, h, l, c, v
    from unnest(${column(0)}::bigint[], ${column(1)}::float8[], ${column(2)}::float8[], ${column(3)}::float8[], ${column(4)}::float8[], ${column(5)}::float8[]) as u(t, o, h, l, c, v)
    on conflict (exchange, symbol, timeframe, time) do update
      set open = excluded.open, high = excluded.high, low = excluded.low, close = excluded.close, volume = excluded.volume
    returning (xmax = 0) as inserted`);
  const inserted = result.filter((r) => r.inserted).length;
  return { inserted, updated: result.length - inserted };
}
