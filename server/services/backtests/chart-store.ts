import { and, asc, between, eq, inArray, sql } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { backtestChartChunks, backtests, backtestTrades } from '@/db/schema';
import { allocateSeries, type CandleSeries } from '@/server/core/candles';
import {
  barChunkOf,
  barSegments,
  buildLevel,
  CHUNK_BARS,
  decodeColumns,
  encodeColumns,
  LEVEL_FILL_COLUMNS,
  levelChunkOf,
  storedLevels,
  TRADE_COLUMN_NAMES,
  type ChartStoreHeader,
  type LevelFills,
  type TradeColumns,
} from '@/server/core/charts/store';
import { isScriptType } from '@/server/core/scripts/script-type';
import { getStrategyDefinition } from '@/server/core/strategies';
import { parseParams } from '@/server/core/strategies/params';
import type { PlotSpec } from '@/server/core/strategies/types';
import { timeframeToMs } from '@/server/core/timeframe';
import { readCandleSeries } from '@/server/services/market-data/candles';

/**
 * A backtest's stored chart (server/core/charts/store.ts for the layout): written by the worker in the transaction that
 * completes the run (so a run that reads "completed" has it), or on the first chart request of a run that completed
 * before it existed or whose store failed. Writing is idempotent (the same run gives
 * the same bytes; chunks already there are kept), and the header goes last, so a header means every chunk is there.
 */

export interface ChartStoreRun {
  id: string;
  exchange: string;
  symbol: string;
  timeframe: string;
  startTime: number;
  endTime: number;
  strategyType: string;
  params: Record<string, unknown>;
}

/** The plots a run's strategy declares and can compute here (built-ins; a script's plots are not computed in the web app). */
export function runPlots(run: Pick<ChartStoreRun, 'strategyType' | 'params'>): {
  specs: readonly PlotSpec[];
  compute: (series: CandleSeries) => Record<string, Float64Array>;
} | null {
  if (isScriptType(run.strategyType)) return null;
  const definition = getStrategyDefinition(run.strategyType);
  if (!definition.plots || !definition.plotValues) return null;
  const plotValues = definition.plotValues;
  return { specs: definition.plots, compute: (series) => plotValues(series, parseParams(definition, run.params)) };
}

/** Rows per insert statement (each row is up to a few hundred kB of bytea). */
const INSERT_BATCH = 64;

/** Plot values computed elsewhere (a script's, by the worker's sandbox over the run's candles) with their declarations. */
export interface ComputedPlots {
  specs: readonly PlotSpec[];
  values: Readonly<Record<string, Float64Array>>;
}

/**
 * Computes and stores the run's chart data; `series` is the run's candles when the caller has them (the worker),
 * read otherwise. `computed`: the plots when the caller computed them (the worker, for a script: the web app has no
 * sandbox, so a script run's chart stored on a chart request has no plots); their declarations go into the header.
 * Returns the header written.
 */
export async function storeBacktestChart(db: DbOrTx, run: ChartStoreRun, series?: CandleSeries, computed?: ComputedPlots): Promise<ChartStoreHeader> {
  const timeframeMs = timeframeToMs(run.timeframe);
  const bars = series ?? (await readCandleSeries(db, run, run.startTime, run.endTime, { expectedCount: expectedBars(run, timeframeMs) }));
  const plots = computed ? null : runPlots(run);
  const specs = computed?.specs ?? plots?.specs ?? [];
  const values = computed?.values ?? (plots ? plots.compute(bars) : {});
  const names = specs.map((spec) => spec.name).filter((name) => values[name]?.length === bars.length);
  const plotColumns = names.map((name) => values[name]!);
  const levels = storedLevels(timeframeMs);
  const trades = await readTradeColumns(db, run.id);
  const tradeColumns = TRADE_COLUMN_NAMES.map((name) => trades[name]);
  const rows: Array<{ backtestId: string; level: number; chunk: number; data: Buffer }> = [];
  for (let start = 0; start < trades.entryTime.length; start += CHUNK_BARS) {
    rows.push({
      backtestId: run.id,
      level: TRADES_LEVEL,
      chunk: barChunkOf(start),
      data: encodeColumns(tradeColumns, start, Math.min(trades.entryTime.length, start + CHUNK_BARS)),
    });
  }
  if (plotColumns.length > 0) {
    for (let start = 0; start < bars.length; start += CHUNK_BARS) {
      rows.push({
        backtestId: run.id,
        level: timeframeMs,
        chunk: barChunkOf(start),
        data: encodeColumns(plotColumns, start, Math.min(bars.length, start + CHUNK_BARS)),
      });
    }
  }
  for (const width of levels) {
    const level = buildLevel(bars, plotColumns, width, trades);
    const { firstBuy, buys, firstSell, sells } = level.fills;
    const columns = [
      level.series.time,
      level.series.open,
      level.series.high,
      level.series.low,
      level.series.close,
      level.series.volume,
      firstBuy,
      buys,
      firstSell,
      sells,
      ...level.plots,
    ];
    let start = 0;
    while (start < level.series.length) {
      const chunk = levelChunkOf(level.series.time[start]!, width);
      let end = start;
      while (end < level.series.length && levelChunkOf(level.series.time[end]!, width) === chunk) end++;
      rows.push({ backtestId: run.id, level: width, chunk, data: encodeColumns(columns, start, end) });
      start = end;
    }
  }
  const header: ChartStoreHeader = {
    version: 1,
    timeframeMs,
    plots: names,
    ...(computed ? { plotSpecs: specs.filter((spec) => names.includes(spec.name)).map((spec) => ({ ...spec })) } : {}),
    levels,
    segments: barSegments(bars.time, timeframeMs),
  };
  for (let k = 0; k < rows.length; k += INSERT_BATCH) {
    await db
      .insert(backtestChartChunks)
      .values(rows.slice(k, k + INSERT_BATCH))
      .onConflictDoNothing();
  }
  await db.update(backtests).set({ chartStore: header }).where(eq(backtests.id, run.id));
  return header;
}

/** The `level` of a run's trade columns (chunks of CHUNK_BARS trades by trade index). */
const TRADES_LEVEL = 0;

async function readTradeColumns(db: DbOrTx, id: string): Promise<TradeColumns> {
  const rows = await db
    .select({
      entryTime: backtestTrades.entryTime,
      exitTime: backtestTrades.exitTime,
      entryPrice: backtestTrades.entryPrice,
      exitPrice: backtestTrades.exitPrice,
      quantity: backtestTrades.quantity,
      pnl: backtestTrades.pnl,
      pnlPct: backtestTrades.pnlPct,
    })
    .from(backtestTrades)
    .where(eq(backtestTrades.backtestId, id))
    .orderBy(asc(backtestTrades.seq));
  const column = (name: (typeof TRADE_COLUMN_NAMES)[number]) => Float64Array.from(rows, (row) => row[name]);
  return {
    entryTime: column('entryTime'),
    exitTime: column('exitTime'),
    entryPrice: column('entryPrice'),
    exitPrice: column('exitPrice'),
    quantity: column('quantity'),
    pnl: column('pnl'),
    pnlPct: column('pnlPct'),
  };
}

/** The stored trades with these indexes (0-based, any order): index → one trade's columns. */
export async function readTrades(
  db: DbOrTx,
  id: string,
  indexes: readonly number[],
): Promise<Map<number, Record<(typeof TRADE_COLUMN_NAMES)[number], number>>> {
  const out = new Map<number, Record<(typeof TRADE_COLUMN_NAMES)[number], number>>();
  if (indexes.length === 0) return out;
  const chunkIds = [...new Set(indexes.map(barChunkOf))];
  const chunks = await db
    .select({ chunk: backtestChartChunks.chunk, data: backtestChartChunks.data })
    .from(backtestChartChunks)
    .where(and(eq(backtestChartChunks.backtestId, id), eq(backtestChartChunks.level, TRADES_LEVEL), inArray(backtestChartChunks.chunk, chunkIds)));
  const byChunk = new Map(chunks.map(({ chunk, data }) => [chunk, decodeColumns(data, TRADE_COLUMN_NAMES.length)]));
  for (const index of indexes) {
    const columns = byChunk.get(barChunkOf(index));
    const k = index - barChunkOf(index) * CHUNK_BARS;
    if (!columns || k >= columns[0]!.length) continue;
    // A literal, columns in TRADE_COLUMN_NAMES' order (a zoomed-out year reads thousands: no per-trade arrays)
    out.set(index, {
      entryTime: columns[0]![k]!,
      exitTime: columns[1]![k]!,
      entryPrice: columns[2]![k]!,
      exitPrice: columns[3]![k]!,
      quantity: columns[4]![k]!,
      pnl: columns[5]![k]!,
      pnlPct: columns[6]![k]!,
    });
  }
  return out;
}

function expectedBars(run: Pick<ChartStoreRun, 'startTime' | 'endTime'>, timeframeMs: number): number {
  return Math.max(16, Math.min(Math.ceil((run.endTime - run.startTime) / timeframeMs), 1 << 21));
}

/** Plot values of run bars [startIndex, endIndex), one column per header plot (NaN where none is stored). */
export async function readBarPlots(db: DbOrTx, id: string, header: ChartStoreHeader, startIndex: number, endIndex: number): Promise<Float64Array[]> {
  const out = header.plots.map(() => new Float64Array(Math.max(0, endIndex - startIndex)).fill(Number.NaN));
  if (header.plots.length === 0 || endIndex <= startIndex) return out;
  const chunks = await db
    .select({ chunk: backtestChartChunks.chunk, data: backtestChartChunks.data })
    .from(backtestChartChunks)
    .where(
      and(
        eq(backtestChartChunks.backtestId, id),
        eq(backtestChartChunks.level, header.timeframeMs),
        between(backtestChartChunks.chunk, barChunkOf(startIndex), barChunkOf(endIndex - 1)),
      ),
    );
  for (const { chunk, data } of chunks) {
    const columns = decodeColumns(data, header.plots.length);
    const chunkStart = chunk * CHUNK_BARS;
    const from = Math.max(startIndex, chunkStart);
    const to = Math.min(endIndex, chunkStart + (columns[0]?.length ?? 0));
    columns.forEach((column, p) => {
      if (to > from) out[p]!.set(column.subarray(from - chunkStart, to - chunkStart), from - startIndex);
    });
  }
  return out;
}

/** A stored level's candles with time in [fromMs, toMs), each plot at their last bar, and the fills on them. */
export async function readLevel(
  db: DbOrTx,
  id: string,
  header: ChartStoreHeader,
  width: number,
  fromMs: number,
  toMs: number,
): Promise<{ series: CandleSeries; plots: Float64Array[]; fills: LevelFills }> {
  const chunks = await db
    .select({ data: backtestChartChunks.data })
    .from(backtestChartChunks)
    .where(
      and(
        eq(backtestChartChunks.backtestId, id),
        eq(backtestChartChunks.level, width),
        between(backtestChartChunks.chunk, levelChunkOf(fromMs, width), levelChunkOf(toMs - 1, width)),
      ),
    )
    .orderBy(backtestChartChunks.chunk);
  const decoded = chunks.map(({ data }) => decodeColumns(data, 6 + LEVEL_FILL_COLUMNS + header.plots.length));
  let count = 0;
  for (const columns of decoded) for (const time of columns[0]!) if (time >= fromMs && time < toMs) count++;
  const series = allocateSeries(count);
  const plots = header.plots.map(() => new Float64Array(count));
  const fills: LevelFills = {
    firstBuy: new Float64Array(count),
    buys: new Float64Array(count),
    firstSell: new Float64Array(count),
    sells: new Float64Array(count),
  };
  const targets = [
    series.time,
    series.open,
    series.high,
    series.low,
    series.close,
    series.volume,
    fills.firstBuy,
    fills.buys,
    fills.firstSell,
    fills.sells,
    ...plots,
  ];
  let k = 0;
  for (const columns of decoded) {
    const time = columns[0]!;
    for (let i = 0; i < time.length; i++) {
      if (time[i]! < fromMs || time[i]! >= toMs) continue;
      for (let c = 0; c < targets.length; c++) targets[c]![k] = columns[c]![i]!;
      k++;
    }
  }
  return { series, plots, fills };
}

/** Forget a run's stored chart (tests; a re-run of the same backtest id rewrites it). */
export async function deleteBacktestChart(db: DbOrTx, id: string): Promise<void> {
  await db.delete(backtestChartChunks).where(eq(backtestChartChunks.backtestId, id));
  await db
    .update(backtests)
    .set({ chartStore: sql`null` })
    .where(eq(backtests.id, id));
}
