import { and, asc, eq, gte, lt, sql } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { backtests, backtestTrades, jobs } from '@/db/schema';
import { barsIn, levelFor, type ChartStoreHeader } from '@/server/core/charts/store';
import { aggregateBars, bucketWidth, copyBars, emptyCandles, windowPlots, type WindowCandles } from '@/server/core/charts/window';
import { AppError } from '@/server/core/errors';
import { floatToDecimalString } from '@/server/core/money/decimal';
import { readCandleSeries } from '@/server/services/market-data/candles';
import { buildChartWindow, DEFAULT_WINDOW_BARS, type ChartMarker, type ChartWindowView, type WindowRequest } from '@/server/services/market-data/chart-window';
import { readBarPlots, readLevel, readTrades, runPlots, storeBacktestChart, type ChartStoreRun } from './chart-store';

/**
 * A window of a backtest's price chart (GET /api/v1/backtests/{id}/chart): its candles over [from, to) (default:
 * the whole run), its strategy's plots and its trades' entry and exit markers inside the window.
 *
 * The plots are the strategy's plotValues over the run's candles from the run's first bar (the same bars, params and
 * indicator code the engine ran, so the values are the ones its decisions read — an EMA's value depends on every bar
 * since the first, so a window alone or "window plus warm-up" would not do). A completed run has them stored with
 * per-width aggregates (chart-store.ts, written by the worker; on first use for runs older than that), so a window at
 * any zoom is a bounded read: at most 5,000 bars from the candles table, or a few chunks of one stored width.
 * A script's plots are computed only by the worker's sandbox when its run completes (the web app never loads it):
 * a script run whose chart was not stored then (older runs, or a failed store) has a chart without plots.
 * Zoomed out (aggregated), the candles are whole buckets: the buckets the window's bars fall in, with all their bars.
 */
const WORKER_STORE_POLL_MS = 50;
/** At most this long (a worker that died mid-store leaves its job "running" until its lease runs out). */
const WORKER_STORE_WAIT_MS = 20_000;

/**
 * A run that completed moments ago has its chart being stored by the worker (run-job.ts: in a transaction of its own,
 * right after the results, before the job finishes): while its job still runs, wait for that store (polling the
 * header; no transaction or lock is held meanwhile) instead of storing the same chart again, which would also lose a
 * script's plots (only the worker's sandbox computes them). Null once the job ended without it (the store failed, or
 * the run predates the store; or after WORKER_STORE_WAIT_MS): the caller stores it.
 */
export async function storedByTheWorker(db: DbOrTx, id: string, jobId: string | null): Promise<ChartStoreHeader | null> {
  if (!jobId) return null;
  for (const deadline = Date.now() + WORKER_STORE_WAIT_MS; Date.now() < deadline;) {
    const [row] = await db
      .select({ chartStore: backtests.chartStore, jobStatus: jobs.status })
      .from(backtests)
      .leftJoin(jobs, eq(jobs.id, backtests.jobId))
      .where(eq(backtests.id, id));
    if (row?.chartStore) return row.chartStore as ChartStoreHeader;
    if (row?.jobStatus !== 'running') return null;
    await new Promise((resolve) => setTimeout(resolve, WORKER_STORE_POLL_MS));
  }
  return null;
}

export async function getBacktestChartWindow(
  db: DbOrTx,
  userId: string,
  id: string,
  request: WindowRequest,
  options: { completedOnly?: boolean } = {},
): Promise<ChartWindowView> {
  const [row] = await db
    .select({
      exchange: backtests.exchange,
      symbol: backtests.symbol,
      timeframe: backtests.timeframe,
      startTime: backtests.startTime,
      endTime: backtests.endTime,
      strategyType: backtests.strategyType,
      params: backtests.params,
      status: backtests.status,
      chartStore: backtests.chartStore,
      jobId: backtests.jobId,
    })
    .from(backtests)
    .where(and(eq(backtests.id, id), eq(backtests.userId, userId)));
  if (!row) throw AppError.notFound('backtest');
  const key = { exchange: row.exchange, symbol: row.symbol, timeframe: row.timeframe };
  const from = request.from ?? row.startTime;
  const to = request.to ?? row.endTime;
  const maxBars = request.maxBars ?? DEFAULT_WINDOW_BARS;
  const specs = safeRunPlots(row)?.specs ?? [];
  if (row.status !== 'completed' && options.completedOnly) throw new AppError('CONFLICT', `the backtest is ${row.status}, not completed`);
  if (row.status !== 'completed') {
    // Not finished (or failed): nothing stored, no trades; the candles and plots of the window over the run's bars.
    const series = await readCandleSeries(db, key, row.startTime, row.endTime);
    const plots = safeRunPlots(row);
    return buildChartWindow(key, series, { from, to, maxBars }, plots ? { specs: plots.specs, values: plots.compute(series) } : null, () => []);
  }
  const header = (row.chartStore as ChartStoreHeader | null) ?? (await storedByTheWorker(db, id, row.jobId)) ?? (await storeBacktestChart(db, { id, ...row }));
  // A script's plots were computed and declared by the worker's sandbox (stored with the header); a built-in's
  // declarations are its definition's.
  const plotSpecs = header.plotSpecs ?? specs;
  const timeframeMs = header.timeframeMs;
  const first = header.segments.length > 0 ? header.segments[0]![0] : null;
  const lastSegment = header.segments[header.segments.length - 1];
  const last = lastSegment ? lastSegment[0] + (lastSegment[1] - 1) * timeframeMs : null;
  const inWindow = barsIn(header.segments, timeframeMs, from, to);
  const view = (bucketMs: number, candles: WindowCandles, values: Record<string, (number | null)[]>, markers: ChartMarker[]): ChartWindowView => ({
    ...key,
    from,
    to,
    first,
    last,
    bucketMs,
    aggregated: bucketMs !== timeframeMs,
    candles,
    plots: plotSpecs.map((spec) => ({
      name: spec.name,
      label: spec.label,
      pane: spec.pane,
      style: spec.style,
      color: spec.color ?? null,
      values: values[spec.name] ?? [],
    })),
    markers,
  });
  if (inWindow.count === 0) return view(timeframeMs, emptyCandles(), {}, []);
  const bucketMs = bucketWidth(inWindow.firstTime, inWindow.lastTime, inWindow.count, timeframeMs, maxBars);
  const named = (columns: Float64Array[], lastIndex: number[]) =>
    windowPlots(Object.fromEntries(header.plots.map((name, p) => [name, columns[p]!])), lastIndex);

  if (bucketMs === timeframeMs) {
    // Full resolution: ≤ maxBars bars from the candles table, their plots from the bar chunks.
    const [series, plots, trades] = await Promise.all([
      readCandleSeries(db, key, Math.max(from, row.startTime), Math.min(to, row.endTime), { expectedCount: inWindow.count }),
      readBarPlots(db, id, header, inWindow.firstIndex, inWindow.firstIndex + inWindow.count),
      tradesInWindow(db, userId, id, from, to),
    ]);
    const { candles, lastIndex } = copyBars(series, 0, series.length);
    const markers = trades.flatMap((trade) => {
      const fills: ChartMarker[] = [];
      if (trade.entryTime >= from) fills.push(marker(trade, 'buy', trade.entryTime, 0));
      if (trade.exitTime < to) fills.push(marker(trade, 'sell', trade.exitTime, 0));
      return fills;
    });
    return view(bucketMs, candles, named(plots, lastIndex), markers);
  }

  // Aggregated: whole buckets from the first window bar's to the last one's.
  const bucketsFrom = Math.floor(inWindow.firstTime / bucketMs) * bucketMs;
  const bucketsTo = Math.floor(inWindow.lastTime / bucketMs) * bucketMs + bucketMs;
  const level = levelFor(bucketMs, header.levels);
  if (level !== null) {
    const source = await readLevel(db, id, header, level, bucketsFrom, bucketsTo);
    const { candles, lastIndex } = aggregateBars(source.series, 0, source.series.length, bucketMs);
    // One marker per bucket and side from the level's fill columns, in time then trade order; only the trades marked
    // are read.
    const picks: Array<{ time: number; trade: number; side: 'buy' | 'sell'; more: number }> = [];
    const firstFill = (first: Float64Array, count: Float64Array, begin: number, end: number) => {
      let trade = Number.NaN;
      let total = 0;
      for (let i = begin; i <= end; i++) {
        if (count[i]! === 0) continue;
        if (!(first[i]! >= trade)) trade = first[i]!;
        total += count[i]!;
      }
      return { trade, more: total - 1 };
    };
    let begin = 0;
    lastIndex.forEach((end, k) => {
      const time = candles.time[k]!;
      const buy = firstFill(source.fills.firstBuy, source.fills.buys, begin, end);
      const sell = firstFill(source.fills.firstSell, source.fills.sells, begin, end);
      const sellFirst = sell.trade < buy.trade; // false when either side has no fill (NaN)
      if (sellFirst) picks.push({ time, side: 'sell', ...sell });
      if (buy.more >= 0) picks.push({ time, side: 'buy', ...buy });
      if (sell.more >= 0 && !sellFirst) picks.push({ time, side: 'sell', ...sell });
      begin = end + 1;
    });
    const trades = await readTrades(
      db,
      id,
      picks.map((p) => p.trade),
    );
    const markers = picks.flatMap(({ time, trade, side, more }) => {
      const t = trades.get(trade);
      return t ? [marker({ seq: trade, ...t }, side, time, more)] : [];
    });
    return view(bucketMs, candles, named(source.plots, lastIndex), markers);
  }
  // Narrow buckets (fewer than MIN_LEVEL_RATIO bars): from the bars, ≤ 5,000 × 5 of them.
  const bars = barsIn(header.segments, timeframeMs, bucketsFrom, bucketsTo);
  const [series, plots, markers] = await Promise.all([
    readCandleSeries(db, key, Math.max(bucketsFrom, row.startTime), Math.min(bucketsTo, row.endTime), { expectedCount: bars.count }),
    readBarPlots(db, id, header, bars.firstIndex, bars.firstIndex + bars.count),
    firstFillPerBucket(db, userId, id, bucketsFrom, bucketsTo, bucketMs),
  ]);
  const { candles, lastIndex } = aggregateBars(series, 0, series.length, bucketMs);
  return view(bucketMs, candles, named(plots, lastIndex), markers);
}

function safeRunPlots(row: Pick<ChartStoreRun, 'strategyType' | 'params'>): ReturnType<typeof runPlots> {
  try {
    return runPlots(row);
  } catch {
    // a strategy type this build does not know: a chart without plots
    return null;
  }
}

interface TradeRow {
  seq: number;
  entryTime: number;
  exitTime: number;
  entryPrice: number;
  exitPrice: number;
  quantity: number;
  pnl: number;
  pnlPct: number;
}

const tradeColumns = {
  seq: backtestTrades.seq,
  entryTime: backtestTrades.entryTime,
  exitTime: backtestTrades.exitTime,
  entryPrice: backtestTrades.entryPrice,
  exitPrice: backtestTrades.exitPrice,
  quantity: backtestTrades.quantity,
  pnl: backtestTrades.pnl,
  pnlPct: backtestTrades.pnlPct,
};

/** The trades with a fill in [from, to), in trade order. */
function tradesInWindow(db: DbOrTx, userId: string, id: string, from: number, to: number): Promise<TradeRow[]> {
  return db
    .select(tradeColumns)
    .from(backtestTrades)
    .where(and(eq(backtestTrades.backtestId, id), eq(backtestTrades.userId, userId), gte(backtestTrades.exitTime, from), lt(backtestTrades.entryTime, to)))
    .orderBy(asc(backtestTrades.seq));
}

/**
 * Zoomed out, many fills share a candle: one marker per bucket and side — the first fill's (trades are sequential, so
 * the lowest trade number) — with `more` counting the others, so a year of 1m trades is at most two markers per candle.
 * Grouped in the database: only the markers sent leave it.
 */
async function firstFillPerBucket(db: DbOrTx, userId: string, id: string, from: number, to: number, bucketMs: number): Promise<ChartMarker[]> {
  const rows = await db.execute<{ side: 'buy' | 'sell'; more: string | number } & Record<keyof TradeRow, string | number>>(sql`
    with fills as (
      select seq, 'buy' as side, entry_time as time from ${backtestTrades}
      where backtest_id = ${id} and user_id = ${userId} and entry_time >= ${from} and entry_time < ${to}
      union all
      select seq, 'sell' as side, exit_time as time from ${backtestTrades}
      where backtest_id = ${id} and user_id = ${userId} and exit_time >= ${from} and exit_time < ${to}
    ), firsts as (
      select side, time / ${bucketMs}::bigint as bucket, min(seq) as seq, count(*) - 1 as more from fills group by 1, 2
    )
    select f.side, f.more, t.seq, t.entry_time as "entryTime", t.exit_time as "exitTime", t.entry_price as "entryPrice",
      t.exit_price as "exitPrice", t.quantity, t.pnl, t.pnl_pct as "pnlPct"
    from firsts f join ${backtestTrades} t on t.backtest_id = ${id} and t.seq = f.seq
    order by f.bucket, f.seq, f.side`);
  return rows.map((r) => {
    const trade: TradeRow = {
      seq: Number(r.seq),
      entryTime: Number(r.entryTime),
      exitTime: Number(r.exitTime),
      entryPrice: Number(r.entryPrice),
      exitPrice: Number(r.exitPrice),
      quantity: Number(r.quantity),
      pnl: Number(r.pnl),
      pnlPct: Number(r.pnlPct),
    };
    const barTime = r.side === 'buy' ? trade.entryTime : trade.exitTime;
    return marker(trade, r.side, Math.floor(barTime / bucketMs) * bucketMs, Number(r.more));
  });
}

/** A fill's marker: prices, quantity and P&L as the trade table shows them (decimal strings). */
function marker(trade: TradeRow, side: 'buy' | 'sell', time: number, more: number): ChartMarker {
  const buy = side === 'buy';
  return {
    time,
    barTime: buy ? trade.entryTime : trade.exitTime,
    tradeNumber: trade.seq + 1,
    side,
    price: floatToDecimalString(buy ? trade.entryPrice : trade.exitPrice),
    quantity: floatToDecimalString(trade.quantity),
    pnl: buy ? null : floatToDecimalString(trade.pnl),
    pnlPct: buy ? null : floatToDecimalString(trade.pnlPct),
    more,
  };
}
