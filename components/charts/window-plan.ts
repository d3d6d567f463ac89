import type { ChartWindowRequest, ChartWindowView } from '@/server/api/schemas/backtests';
import type { TimeRange } from './bar-scale';

/**
 * Which window the price chart asks for (docs/backtesting.md, "Chart windows"): the range the user looks at plus one
 * span either side, at about one candle per three pixels of the visible part, so the server aggregates exactly when
 * the view is wide (more candles cost the main thread in lightweight-charts' setData and autoscale, and show no more).
 * A window is asked for again when the view leaves the one held, or when the candles in view get twice too dense
 * (zoomed out) or twice too sparse (zoomed in on aggregated candles).
 */

type Held = Pick<ChartWindowView, 'from' | 'to' | 'first' | 'last' | 'bucketMs' | 'aggregated'>;

const PX_PER_CANDLE = 3;

/** The series' bounds [first, end): what the held window says, stretched to a live series' latest bar. */
function seriesBounds(held: Held | null, liveEnd: number | undefined): { first: number | null; end: number | null } {
  const last = Math.max(held?.last ?? -Infinity, liveEnd ?? -Infinity);
  return { first: held?.first ?? null, end: Number.isFinite(last) ? last + 1 : null };
}

const bars = (n: number) => Math.round(Math.min(5_000, Math.max(10, n)));

/**
 * The first window of a chart (the whole series), sized by the viewport rather than the chart: a page can ask for it
 * before the chart is laid out (the backtest page, beside the backtest itself), and the chart then finds it cached. A
 * chart narrower than the viewport holds denser candles than it would ask for, as after a zoom out.
 */
export function firstWindowRequest(viewportPx: number): ChartWindowRequest {
  return { maxBars: bars(Math.max(100, viewportPx) / PX_PER_CANDLE) };
}

/** The window to ask for around `range` (null: the whole series at the chart's width); null when there is nothing. */
export function windowRequest(range: TimeRange | null, held: Held | null, widthPx: number, liveEnd?: number): ChartWindowRequest | null {
  const width = Math.max(100, widthPx);
  if (!range) return { maxBars: bars(width / PX_PER_CANDLE) };
  const { first, end } = seriesBounds(held, liveEnd);
  // The part of the view with candles in it (the view may reach past the series' ends).
  const from = Math.max(range.from, first ?? -Infinity);
  const to = Math.min(range.to, end ?? Infinity);
  if (!(to > from)) return null;
  const span = to - from;
  const request = {
    from: Math.max(first ?? -Infinity, Math.floor(from - span)),
    to: Math.min(end ?? Infinity, Math.ceil(to + span)),
  };
  if (!(request.to > request.from)) return null;
  return { ...request, maxBars: bars(((width / PX_PER_CANDLE) * (request.to - request.from)) / span) };
}

/** Whether the view `visible` (ms, possibly past the series' ends) needs another window than `held`. */
export function needsWindow(held: Held, visible: TimeRange, widthPx: number): boolean {
  const width = Math.max(100, widthPx);
  const { first, end } = seriesBounds(held, undefined);
  const from = Math.max(visible.from, first ?? -Infinity);
  const to = Math.min(visible.to, end ?? Infinity);
  if (!(to > from)) return false;
  const shown = (to - from) / held.bucketMs;
  const whole = held.first !== null && held.last !== null && held.from <= held.first && held.to > held.last;
  const zoomedIn = held.aggregated && shown < width / (2 * PX_PER_CANDLE);
  const zoomedOut = shown > (2 * width) / PX_PER_CANDLE;
  const beyond = !whole && (from < held.from || to > held.to);
  return zoomedIn || zoomedOut || beyond;
}
