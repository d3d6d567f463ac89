import { sql } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { aggregateBars, bucketWidth, windowBars } from '@/server/core/charts/window';
import { timeframeToMs } from '@/server/core/timeframe';
import { lowerBound, seriesFromRows } from '@/server/core/candles';
import { candleRange, readCandleSeries, type SeriesKey } from './candles';
import { buildChartWindow, DEFAULT_WINDOW_BARS, type ChartWindowView, type WindowRequest } from './chart-window';
import { assertEnabledSeriesKey, assertKnownMarket, unstoredCandles } from './market-view';

/**
 * A window of a market's candles for the Markets chart (GET /api/v1/market-data/chart; the shape of the backtest's,
 * docs/backtesting.md "Chart windows", with no plots or markers). Default window: the last `maxBars` candles.
 *
 * A stored market: bounded reads — the window's bar count and ends come from the primary-key index; at most `maxBars`
 * bars are read as they are, and a zoomed-out window is aggregated in PostgreSQL (whole buckets, by the same rule).
 * A market with nothing stored: the latest UNSTORED_CHART_CANDLES candles the page shows for it (the exchange's, else
 * the simulated market's; market-view.ts), windowed and aggregated the same way; NOT_FOUND for a market that does not
 * exist, as its snapshot.
 */
export async function getMarketChartWindow(db: DbOrTx, input: SeriesKey, request: WindowRequest, nowMs = Date.now()): Promise<ChartWindowView> {
  const key = assertEnabledSeriesKey(input);
  const timeframeMs = timeframeToMs(key.timeframe);
  const maxBars = request.maxBars ?? DEFAULT_WINDOW_BARS;
  const range = await candleRange(db, key);
  if (!range) return unstoredWindow(db, key, request, nowMs);
  const first = range.firstMs;
  const last = range.lastMs;
  const to = request.to ?? last + timeframeMs;
  const from = request.from ?? Math.max(first, to - maxBars * timeframeMs);
  const [inside] = await db.execute<{ count: string; first: string | null; last: string | null }>(sql`
    select count(*) as count, min(time) as first, max(time) as last from candles
    where exchange = ${key.exchange} and symbol = ${key.symbol} and timeframe = ${key.timeframe} and time >= ${from} and time < ${to}`);
  const count = Number(inside?.count ?? 0);
  const bucketMs = count === 0 ? timeframeMs : bucketWidth(Number(inside!.first), Number(inside!.last), count, timeframeMs, maxBars);
  const base = { ...key, from, to, first, last, plots: [], markers: [] };
  if (bucketMs === timeframeMs) {
    const series = await readCandleSeries(db, key, from, to, { expectedCount: Math.max(16, count) });
    return { ...buildChartWindow(key, series, { from, to, maxBars }, null, () => []), first, last };
  }
  // Whole buckets from the first window bar's to the last one's, aggregated where the candles are.
  const bucketsFrom = Math.floor(Number(inside!.first) / bucketMs) * bucketMs;
  const bucketsTo = Math.floor(Number(inside!.last) / bucketMs) * bucketMs + bucketMs;
  const rows = await db.execute<{ time: string; open: number; high: number; low: number; close: number; volume: number }>(sql`
    select (time / ${bucketMs}::bigint) * ${bucketMs}::bigint as time,
      (array_agg(open order by time))[1] as open, max(high) as high, min(low) as low,
      (array_agg(close order by time desc))[1] as close, sum(volume) as volume
    from candles
    where exchange = ${key.exchange} and symbol = ${key.symbol} and timeframe = ${key.timeframe} and time >= ${bucketsFrom} and time < ${bucketsTo}
    group by 1 order by 1`);
  const column = (pick: (row: (typeof rows)[number]) => number) => rows.map((row) => Number(pick(row)));
  return {
    ...base,
    bucketMs,
    aggregated: true,
    candles: {
      time: column((r) => Number(r.time)),
      open: column((r) => r.open),
      high: column((r) => r.high),
      low: column((r) => r.low),
      close: column((r) => r.close),
      volume: column((r) => r.volume),
    },
  };
}

async function unstoredWindow(db: DbOrTx, key: SeriesKey, request: WindowRequest, nowMs: number): Promise<ChartWindowView> {
  await assertKnownMarket(db, key, nowMs);
  const { candles } = await unstoredCandles(key, nowMs);
  const series = seriesFromRows(candles);
  const timeframeMs = timeframeToMs(key.timeframe);
  const maxBars = request.maxBars ?? DEFAULT_WINDOW_BARS;
  const n = series.length;
  const first = n > 0 ? series.time[0]! : null;
  const last = n > 0 ? series.time[n - 1]! : null;
  const to = request.to ?? (last === null ? Math.floor(nowMs / timeframeMs) * timeframeMs : last + timeframeMs);
  const from = request.from ?? Math.max(first ?? 0, to - maxBars * timeframeMs);
  const { bucketMs, candles: cut } = windowBars(series, from, to, timeframeMs, maxBars);
  const base = { ...key, from, to, first, last, bucketMs, aggregated: bucketMs !== timeframeMs, plots: [], markers: [] };
  if (!base.aggregated || cut.time.length === 0) return { ...base, candles: cut };
  // Whole buckets, as a stored market's: the buckets the window's bars fall in, each with all its bars.
  const start = lowerBound(series.time, cut.time[0]!);
  const end = lowerBound(series.time, cut.time[cut.time.length - 1]! + bucketMs);
  return { ...base, candles: aggregateBars(series, start, end, bucketMs).candles };
}
