import { ColorType, type IChartApi, type Time, type UTCTimestamp } from 'lightweight-charts';
import { formatPrice } from '@/components/format';
import type { ChartWindowView } from '@/server/api/schemas/backtests';
import { rangeOfLogical, type TimeRange } from './bar-scale';

/** The price chart's pieces that hold no React state: its theme, time units, panes and which range a new window keeps. */

/**
 * What a window keeps on screen when it arrives: the whole window (the first one), a range asked for (a jump to a
 * trade), the view the user has when it arrives (they may have zoomed or panned since it was asked for), or that view
 * moved on by the new bars of a live series.
 */
export type Keep = { kind: 'fit' } | { kind: 'range'; range: TimeRange } | { kind: 'current' } | { kind: 'follow' };

export const seconds = (ms: number) => (ms / 1000) as UTCTimestamp;
export const msOf = (time: Time) => (time as number) * 1000;
export const DEFAULT_COLORS = ['#f59e0b', '#6366f1', '#a855f7', '#06b6d4', '#ec4899'];
/** A drawn marker per side in every this many px at most (the readout lists every trade of a candle). */
export const MARKER_MIN_PX = 10;

export interface Theme {
  bg: string;
  fg: string;
  muted: string;
  border: string;
  gain: string;
  loss: string;
}

export function readTheme(element: HTMLElement): Theme {
  const style = getComputedStyle(element);
  const v = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  return {
    bg: v('--panel', '#11151d'),
    fg: v('--fg', '#e6e9ef'),
    muted: v('--muted', '#8a93a6'),
    border: v('--border', '#252b37'),
    gain: v('--gain', '#22c55e'),
    loss: v('--loss', '#f0475b'),
  };
}

export function themeOptions(theme: Theme) {
  return {
    layout: { background: { type: ColorType.Solid, color: theme.bg }, textColor: theme.muted, panes: { separatorColor: theme.border } },
    grid: { vertLines: { color: theme.border }, horzLines: { color: theme.border } },
    rightPriceScale: { borderColor: theme.border },
    timeScale: { borderColor: theme.border },
  };
}

export interface Readout {
  time: number;
  index: number;
}

/** The pane of each plot: 0 is the price; every other pane name gets the next pane, in order of first use. */
export function paneIndexes(plots: ChartWindowView['plots']): Map<string, number> {
  const panes = new Map<string, number>([['price', 0]]);
  for (const plot of plots) if (!panes.has(plot.pane)) panes.set(plot.pane, panes.size);
  return panes;
}

/** The axis and crosshair labels: the same prices again and again on every frame, so each is formatted once. */
export function cachedPriceFormatter(priceTick: string | null): (price: number) => string {
  const cache = new Map<number, string>();
  return (price) => {
    let label = cache.get(price);
    if (label === undefined) {
      if (cache.size > 5_000) cache.clear();
      label = formatPrice(price, { priceTick });
      cache.set(price, label);
    }
    return label;
  };
}

/** The range (ms) the chart shows once `next` replaces `held`, by `keep`; null: the whole window. */
export function keptRange(chart: IChartApi, held: ChartWindowView | null, next: ChartWindowView, keep: Keep): TimeRange | null {
  if (keep.kind === 'fit') return null;
  if (keep.kind === 'range') return keep.range;
  const logical = chart.timeScale().getVisibleLogicalRange();
  if (!logical || !held || held.candles.time.length === 0) return null;
  const view = rangeOfLogical(held.candles.time, held.bucketMs, logical);
  if (keep.kind === 'current' || held.last === null || next.last === null) return view;
  // following a live series: the same span, as far from the latest bar as it was
  const shift = next.last - held.last;
  return { from: view.from + shift, to: view.to + shift };
}
