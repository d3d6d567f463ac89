import { z } from 'zod';
import type { DbOrTx } from '@/db/client';
import type { CandleSeries } from '@/server/core/candles';
import { MAX_WINDOW_BARS, MIN_WINDOW_BARS, windowBars, windowPlots } from '@/server/core/charts/window';
import type { PlotSpec } from '@/server/core/strategies/types';
import { timeframeToMs } from '@/server/core/timeframe';
import { readCandleSeries, type SeriesKey } from './candles';

/**
 * The one window shape every price chart loads (backtests, deployments, Markets; docs/backtesting.md
 * "Chart windows"): candles of [from, to) — aggregated into buckets when more than maxBars — the strategy's
 * plots on the same candles, and the trade markers inside the window.
 */
export const DEFAULT_WINDOW_BARS = 1_000;

export const ZChartPlotSchema = z.object({
  name: z.string(),
  label: z.string(),
  pane: z.string(),
  style: z.enum(['line', 'histogram', 'dots']),
  color: z.string().nullable(),
  /** one per candle; null while the indicator warms up */
  values: z.array(z.number().nullable()),
});

export const ZChartMarkerSchema = z.object({
  /** open time of the candle the marker sits on (the bucket's start when aggregated), ms UTC */
  time: z.number(),
  /** open time of the bar the fill happened on, ms UTC */
  barTime: z.number(),
  /** 1-based, the trade's row in the trade table */
  tradeNumber: z.number().int(),
  side: z.enum(['buy', 'sell']),
  /** fill price and quantity as decimal strings */
  price: z.string(),
  quantity: z.string(),
  /** the round trip's P&L (quote) and %, on its exit marker; null on an entry */
  pnl: z.string().nullable(),
  pnlPct: z.string().nullable(),
  /** zoomed out (aggregated): further fills of this side on the same candle, not sent one by one; 0 otherwise */
  more: z.number().int(),
});
export type ChartMarker = z.infer<typeof ZChartMarkerSchema>;

export const ZChartWindowSchema = z.object({
  exchange: z.string(),
  symbol: z.string(),
  timeframe: z.string(),
  /** the window asked for, ms UTC: [from, to) */
  from: z.number(),
  to: z.number(),
  /** the whole series' first and last candle time (what the chart may pan to); null when none */
  first: z.number().nullable(),
  last: z.number().nullable(),
  /** ms per candle: the timeframe, or the bucket width when aggregated */
  bucketMs: z.number(),
  aggregated: z.boolean(),
  candles: z.object({
    time: z.array(z.number()),
    open: z.array(z.number()),
    high: z.array(z.number()),
    low: z.array(z.number()),
    close: z.array(z.number()),
    volume: z.array(z.number()),
  }),
  plots: z.array(ZChartPlotSchema),
  markers: z.array(ZChartMarkerSchema),
});
export type ChartWindowView = z.infer<typeof ZChartWindowSchema>;

export interface WindowRequest {
  from?: number;
  to?: number;
  maxBars?: number;
}

export const windowBarsBounds = { min: MIN_WINDOW_BARS, max: MAX_WINDOW_BARS, default: DEFAULT_WINDOW_BARS };

/** Builds the window over a loaded series (and its plots' columns over the same bars). */
export function buildChartWindow(
  key: SeriesKey,
  series: CandleSeries,
  request: WindowRequest,
  plots: { specs: readonly PlotSpec[]; values: Readonly<Record<string, Float64Array>> } | null,
  markers: (bucketMs: number, from: number, to: number) => ChartMarker[],
): ChartWindowView {
  const timeframeMs = timeframeToMs(key.timeframe);
  const first = series.length > 0 ? series.time[0]! : null;
  const last = series.length > 0 ? series.time[series.length - 1]! : null;
  const from = request.from ?? first ?? 0;
  const to = request.to ?? (last === null ? from + timeframeMs : last + timeframeMs);
  const bars = windowBars(series, from, to, timeframeMs, request.maxBars ?? DEFAULT_WINDOW_BARS);
  const values = plots ? windowPlots(plots.values, bars.lastIndex) : {};
  return {
    ...key,
    from,
    to,
    first,
    last,
    bucketMs: bars.bucketMs,
    aggregated: bars.bucketMs !== timeframeMs,
    candles: bars.candles,
    plots: (plots?.specs ?? []).map((spec) => ({
      name: spec.name,
      label: spec.label,
      pane: spec.pane,
      style: spec.style,
      color: spec.color ?? null,
      values: values[spec.name] ?? [],
    })),
    markers: markers(bars.bucketMs, from, to),
  };
}

// ---------------------------------------------------------------------------------------------
// The series cache: a window request on a 525,600-bar backtest must take ≤ 100 ms at any zoom, and reading that
// many candles from PostgreSQL takes several times that. So the web process keeps the columnar series it read
// (and whatever was computed from it, e.g. a backtest's plots) for a few minutes, least recently used out first,
// bounded by bytes; a pan or zoom is then a slice and one pass of aggregation over memory.

const CACHE_TTL_MS = 5 * 60_000;
const CACHE_MAX_BYTES = 256 * 1024 * 1024;

interface CacheEntry {
  value: Promise<unknown>;
  bytes: number;
  expires: number;
  used: number;
}

const cache = new Map<string, CacheEntry>();
let cacheBytes = 0;
let clock = 0;

/** The cached value under `key`, or `load()`'s (shared by concurrent callers; a failed load is not kept). */
export async function cached<T>(key: string, bytesOf: (value: T) => number, load: () => Promise<T>): Promise<T> {
  const now = Date.now();
  const hit = cache.get(key);
  if (hit && hit.expires > now) {
    hit.used = ++clock;
    return hit.value as Promise<T>;
  }
  if (hit) drop(key);
  const entry: CacheEntry = { value: load(), bytes: 0, expires: now + CACHE_TTL_MS, used: ++clock };
  cache.set(key, entry);
  try {
    const value = (await entry.value) as T;
    if (cache.get(key) === entry) {
      entry.bytes = bytesOf(value);
      cacheBytes += entry.bytes;
      evict();
    }
    return value;
  } catch (error) {
    if (cache.get(key) === entry) cache.delete(key);
    throw error;
  }
}

function drop(key: string): void {
  const entry = cache.get(key);
  if (!entry) return;
  cacheBytes -= entry.bytes;
  cache.delete(key);
}

function evict(): void {
  while (cacheBytes > CACHE_MAX_BYTES && cache.size > 1) {
    let oldestKey: string | null = null;
    let oldest = Infinity;
    for (const [key, entry] of cache) if (entry.used < oldest) [oldest, oldestKey] = [entry.used, key];
    if (oldestKey === null) break;
    drop(oldestKey);
  }
}

export function seriesBytes(series: CandleSeries): number {
  return series.length * 6 * Float64Array.BYTES_PER_ELEMENT;
}

/** The stored candles of [startMs, endMs), read once per few minutes per process (see the cache above). */
export function cachedCandleSeries(db: DbOrTx, key: SeriesKey, startMs: number, endMs: number): Promise<CandleSeries> {
  const bars = Math.ceil((endMs - startMs) / timeframeToMs(key.timeframe));
  return cached(`candles|${key.exchange}|${key.symbol}|${key.timeframe}|${startMs}|${endMs}`, seriesBytes, () =>
    readCandleSeries(db, key, startMs, endMs, { expectedCount: Number.isFinite(bars) ? Math.max(16, Math.min(bars, 1 << 21)) : undefined }),
  );
}

/** Forget every cached series (tests that rewrite candles). */
export function clearChartCache(): void {
  cache.clear();
  cacheBytes = 0;
}
