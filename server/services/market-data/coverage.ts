/**
 * What is stored: per series (exchange, symbol, timeframe) the first and last candle, the count and
 * the holes between them. A gap is a run of missing candles strictly between the first and the last
 * stored one ({from, to, missing} as in server/core/market/validate.ts: `to` is the open time of the
 * next present candle); nothing is said about before the first or after the last.
 */
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { timeframeToMs } from '@/server/core/timeframe';
import type { Gap } from '@/server/core/market/validate';
import type { SeriesKey } from './candles';

/** Gaps listed per series at most; `gapCount` and `missing` always count them all. */
export const MAX_LISTED_GAPS = 500;

export interface SeriesCoverage extends SeriesKey {
  /** Open time of the first stored candle, ms UTC. */
  firstMs: number;
  /** Open time of the last stored candle, ms UTC. */
  lastMs: number;
  count: number;
  /** Candles missing between first and last: (last - first) / timeframe + 1 - count. */
  missing: number;
  gapCount: number;
  /** The first MAX_LISTED_GAPS gaps, ascending. */
  gaps: Gap[];
}

/** Gaps of one series between its first and last stored candle (at most `limit` listed). */
export async function seriesGaps(db: DbOrTx, key: SeriesKey, limit = MAX_LISTED_GAPS): Promise<{ gaps: Gap[]; gapCount: number }> {
  const step = timeframeToMs(key.timeframe);
  const rows = await db.execute<{ from_ms: string; to_ms: string; gap_count: string }>(sql`
    select prev + ${step} as from_ms, time as to_ms, count(*) over () as gap_count
    from (
      select time, lag(time) over (order by time) as prev from candles
      where exchange = ${key.exchange} and symbol = ${key.symbol} and timeframe = ${key.timeframe}
    ) s
    where time - prev > ${step}
    order by time
    limit ${limit}`);
  const gaps = rows.map((r) => {
    const from = Number(r.from_ms);
    const to = Number(r.to_ms);
    return { from, to, missing: Math.round((to - from) / step) };
  });
  return { gaps, gapCount: rows[0] ? Number(rows[0].gap_count) : 0 };
}

/** Coverage of every stored series (or of one), ordered by exchange, symbol, timeframe. */
export async function readCoverage(db: DbOrTx, filter: Partial<SeriesKey> = {}): Promise<SeriesCoverage[]> {
  const rows = await db.execute<{ exchange: string; symbol: string; timeframe: string; first_ms: string; last_ms: string; count: string }>(sql`
    select exchange, symbol, timeframe, min(time) as first_ms, max(time) as last_ms, count(*) as count
    from candles
    where (${filter.exchange ?? null}::text is null or exchange = ${filter.exchange ?? null})
      and (${filter.symbol ?? null}::text is null or symbol = ${filter.symbol ?? null})
      and (${filter.timeframe ?? null}::text is null or timeframe = ${filter.timeframe ?? null})
    group by exchange, symbol, timeframe
    order by exchange, symbol, timeframe`);
  const result: SeriesCoverage[] = [];
  for (const row of rows) {
    const key = { exchange: row.exchange, symbol: row.symbol, timeframe: row.timeframe };
    const firstMs = Number(row.first_ms);
    const lastMs = Number(row.last_ms);
    const count = Number(row.count);
    let step: number;
    try {
      step = timeframeToMs(key.timeframe);
    } catch {
      continue; // not a timeframe we understand (never written by this code)
    }
    const expected = Math.round((lastMs - firstMs) / step) + 1;
    const missing = Math.max(0, expected - count);
    // Only look for holes where the count says there are some: a full series costs no window scan.
    const { gaps, gapCount } = missing > 0 ? await seriesGaps(db, key) : { gaps: [], gapCount: 0 };
    result.push({ ...key, firstMs, lastMs, count, missing, gapCount, gaps });
  }
  return result;
}
