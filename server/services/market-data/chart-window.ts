import { z } from 'zod';
import type { CandleSeries } from '@/server/core/candles';
import { MAX_WINDOW_BARS, MIN_WINDOW_BARS, windowBars, windowPlots } from '@/server/core/charts/window';
import type { PlotSpec } from '@/server/core/strategies/types';
import { timeframeToMs } from '@/server/core/timeframe';
import type { SeriesKey } from './candles';

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
  /** a script deployment's plots are still being computed by the worker: ask again for them (absent otherwise) */
  plotsPending: z.boolean().optional(),
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
