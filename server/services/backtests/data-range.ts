import { sql } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import type { SeriesKey } from '@/server/services/market-data/candles';

export interface StoredSeries extends SeriesKey {
  /** open time of the first and last stored candle, ms since epoch UTC */
  firstTime: number;
  lastTime: number;
}

/**
 * The candle series stored, with their first and last time. A skip scan over the candles primary key
 * (exchange, symbol, timeframe, time): one index probe per series, not a scan of every candle.
 */
export async function listStoredSeries(db: DbOrTx): Promise<StoredSeries[]> {
  const rows = await db.execute<{ exchange: string; symbol: string; timeframe: string; first_time: string; last_time: string }>(sql`
    with recursive keys as (
      (select exchange, symbol, timeframe from candles order by exchange, symbol, timeframe limit 1)
      union all
      select n.exchange, n.symbol, n.timeframe from keys k
      cross join lateral (
        select c.exchange, c.symbol, c.timeframe from candles c
        where (c.exchange, c.symbol, c.timeframe) > (k.exchange, k.symbol, k.timeframe)
        order by c.exchange, c.symbol, c.timeframe limit 1
      ) n
    )
    select k.exchange, k.symbol, k.timeframe,
      (select min(time) from candles c where c.exchange = k.exchange and c.symbol = k.symbol and c.timeframe = k.timeframe) as first_time,
      (select max(time) from candles c where c.exchange = k.exchange and c.symbol = k.symbol and c.timeframe = k.timeframe) as last_time
    from keys k`);
  return rows.map((r) => ({ exchange: r.exchange, symbol: r.symbol, timeframe: r.timeframe, firstTime: Number(r.first_time), lastTime: Number(r.last_time) }));
}

/** Whether any candle of the series lies in [startMs, endMs) (one index probe). */
export async function hasCandlesInRange(db: DbOrTx, key: SeriesKey, startMs: number, endMs: number): Promise<boolean> {
  const rows = await db.execute<{ found: boolean }>(sql`
    select exists (
      select 1 from candles
      where exchange = ${key.exchange} and symbol = ${key.symbol} and timeframe = ${key.timeframe} and time >= ${startMs} and time < ${endMs}
    ) as found`);
  return rows[0]?.found === true;
}
