'use client';

import {
  CandlestickSeries,
  CrosshairMode,
  HistogramSeries,
  LineSeries,
  createChart,
  createSeriesMarkers,
  type IChartApi,
  type ISeriesApi,
  type ISeriesMarkersPluginApi,
  type SeriesMarker,
  type Time,
} from 'lightweight-charts';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ErrorState, Skeleton } from '@/components/ui/states';
import type { ChartMarkerView, ChartWindowRequest, ChartWindowView } from '@/server/api/schemas/backtests';
import { logicalOfRange, rangeOfLogical, thinMarkers, type TimeRange } from './bar-scale';
import {
  cachedPriceFormatter,
  DEFAULT_COLORS,
  keptRange,
  MARKER_MIN_PX,
  msOf,
  paneIndexes,
  readTheme,
  seconds,
  themeOptions,
  type Keep,
  type Readout,
} from './chart-parts';
import { ChartReadout } from './chart-readout';
import { firstWindowRequest, needsWindow, windowRequest } from './window-plan';

/**
 * A price chart over windows of a series (docs/backtesting.md, "Chart windows"): candlesticks with volume, the
 * strategy's plots on the price or in their own panes, trade markers, wheel/pinch zoom, drag/touch pan and a
 * crosshair readout (OHLC, the plots, the trades on that candle). It asks `loadWindow` for the visible range
 * (plus one span either side) whenever the user pans past what it holds or zooms far enough that another bucket
 * width fits; zoomed out, the server aggregates candles, so the chart never holds more than a few thousand.
 */

export interface PriceChartFocus {
  /** ms UTC; the chart shows [from, to] at full resolution */
  from: number;
  to: number;
}

interface Props {
  loadWindow: (request: ChartWindowRequest) => Promise<ChartWindowView>;
  priceTick: string | null;
  amountStep: string | null;
  /** set to jump the chart to a range (e.g. a trade); a new object each time */
  focus?: PriceChartFocus | null;
  label: string;
  height?: number;
  /**
   * A live series (a deployment): the open time (ms) of its latest bar. When it moves on, the chart reloads the
   * user's view and keeps it — following the new bars when the user looks at the latest one.
   */
  liveEnd?: number;
  /** whether the series has trades to mark (a market has none): says so when a part of it has none */
  trades?: boolean;
}

/** The performance mark set when a page's first price chart window is drawn (the time since navigation is its startTime). */
export const FIRST_DRAWN_MARK = 'price-chart:first-drawn';

export function PriceChart({ loadWindow, priceTick, amountStep, focus, label, height = 420, liveEnd, trades = true }: Props) {
  const containerRef = useRef<HTMLDivElement>(null);
  const chartRef = useRef<IChartApi | null>(null);
  const candlesRef = useRef<ISeriesApi<'Candlestick'> | null>(null);
  const volumeRef = useRef<ISeriesApi<'Histogram'> | null>(null);
  const plotSeriesRef = useRef(new Map<string, ISeriesApi<'Line'> | ISeriesApi<'Histogram'>>());
  const markersRef = useRef<ISeriesMarkersPluginApi<Time> | null>(null);
  const windowRef = useRef<ChartWindowView | null>(null);
  const requestRef = useRef<string>('');
  /** set while the chart itself moves the visible range (after new data), so that move does not load again */
  const applyingRef = useRef(false);
  const loadRef = useRef(loadWindow);
  loadRef.current = loadWindow;
  const liveEndRef = useRef(liveEnd);
  liveEndRef.current = liveEnd;
  const liveTimerRef = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  /** how many bars share a drawn marker now (see thinMarkers); 0: not drawn yet for this window */
  const drawnEveryRef = useRef(0);

  const [data, setData] = useState<ChartWindowView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [readout, setReadout] = useState<Readout | null>(null);
  const [visible, setVisible] = useState<{ from: number; to: number } | null>(null);

  const timeIndex = useMemo(() => {
    const map = new Map<number, number>();
    data?.candles.time.forEach((t, i) => map.set(t, i));
    return map;
  }, [data]);
  const markersByTime = useMemo(() => {
    const map = new Map<number, ChartMarkerView[]>();
    for (const marker of data?.markers ?? []) map.set(marker.time, [...(map.get(marker.time) ?? []), marker]);
    return map;
  }, [data]);

  /** Draws the window's markers, thinned to the zoom (again only when the zoom changes how many bars share one). */
  const drawMarkers = useCallback(() => {
    const chart = chartRef.current;
    const win = windowRef.current;
    const container = containerRef.current;
    const logical = chart?.timeScale().getVisibleLogicalRange();
    if (!chart || !win || !container || !logical) return;
    const pxPerBar = chart.timeScale().width() / Math.max(1, logical.to - logical.from);
    const every = Math.max(1, Math.ceil(MARKER_MIN_PX / pxPerBar));
    if (every === drawnEveryRef.current) return;
    drawnEveryRef.current = every;
    const theme = readTheme(container);
    const drawn = thinMarkers(win.markers, win.candles.time, win.bucketMs, pxPerBar, MARKER_MIN_PX);
    const markers: SeriesMarker<Time>[] = drawn.map((m) => ({
      time: seconds(m.time),
      position: m.side === 'buy' ? 'belowBar' : 'aboveBar',
      shape: m.side === 'buy' ? 'arrowUp' : 'arrowDown',
      color: m.side === 'buy' ? theme.gain : theme.loss,
      text: drawn.length <= 200 ? `#${m.tradeNumber}` : '',
    }));
    markersRef.current?.setMarkers(markers);
  }, []);

  /** Puts a window on the chart, keeping on screen what `keep` says. */
  const apply = useCallback(
    (win: ChartWindowView, keep: Keep) => {
      const chart = chartRef.current;
      const candles = candlesRef.current;
      const volume = volumeRef.current;
      const container = containerRef.current;
      if (!chart || !candles || !volume || !container) return;
      const theme = readTheme(container);
      const range = keptRange(chart, windowRef.current, win, keep);
      windowRef.current = win;
      applyingRef.current = true;
      const c = win.candles;
      candles.setData(c.time.map((t, i) => ({ time: seconds(t), open: c.open[i]!, high: c.high[i]!, low: c.low[i]!, close: c.close[i]! })));
      volume.setData(
        c.time.map((t, i) => ({ time: seconds(t), value: c.volume[i]!, color: c.close[i]! >= c.open[i]! ? `${theme.gain}55` : `${theme.loss}55` })),
      );
      const panes = paneIndexes(win.plots);
      win.plots.forEach((plot, k) => {
        let series = plotSeriesRef.current.get(plot.name);
        const color = plot.color ?? DEFAULT_COLORS[k % DEFAULT_COLORS.length]!;
        if (!series) {
          const pane = panes.get(plot.pane) ?? 0;
          series =
            plot.style === 'histogram'
              ? chart.addSeries(HistogramSeries, { color, priceLineVisible: false, lastValueVisible: false, title: plot.label }, pane)
              : chart.addSeries(
                  LineSeries,
                  {
                    color,
                    lineWidth: 1,
                    priceLineVisible: false,
                    lastValueVisible: false,
                    crosshairMarkerVisible: false,
                    lineVisible: plot.style !== 'dots',
                    pointMarkersVisible: plot.style === 'dots',
                  },
                  pane,
                );
          plotSeriesRef.current.set(plot.name, series);
          if (pane > 0) chart.panes()[pane]?.setStretchFactor(0.35);
        }
        series.setData(
          c.time.map((t, i) => {
            const value = plot.values[i];
            return value === null || value === undefined ? { time: seconds(t) } : { time: seconds(t), value };
          }),
        );
      });
      if (range && c.time.length > 0) chart.timeScale().setVisibleLogicalRange(logicalOfRange(c.time, win.bucketMs, range));
      else chart.timeScale().fitContent();
      drawnEveryRef.current = 0;
      drawMarkers();
      setData(win);
      requestAnimationFrame(() => {
        applyingRef.current = false;
        // User timing: when the first window is on screen, measured from the page's navigation (the chart bench reads it).
        if (performance.getEntriesByName(FIRST_DRAWN_MARK).length === 0) performance.mark(FIRST_DRAWN_MARK);
        drawMarkers(); // again in case the range set above had not reached the time scale yet
      });
    },
    [drawMarkers],
  );

  /** Loads the window around the range [from, to] (one span either side) at the resolution the chart's width wants. */
  const load = useCallback(
    async (range: TimeRange | null, keep: Keep) => {
      const chart = chartRef.current;
      if (!chart) return;
      // The first window (the whole series, nothing held yet) by the viewport's width: a page may have asked for it already.
      const request =
        range === null && windowRef.current === null
          ? firstWindowRequest(window.innerWidth)
          : windowRequest(range, windowRef.current, chart.timeScale().width(), liveEndRef.current);
      if (!request) return;
      const key = JSON.stringify(request);
      if (key === requestRef.current) return;
      requestRef.current = key;
      try {
        const win = await loadRef.current(request);
        if (requestRef.current !== key) return; // a newer request is on its way
        setError(null);
        apply(win, keep);
      } catch (e) {
        setError(e instanceof Error ? e.message : String(e));
      }
    },
    [apply],
  );

  // The chart itself: created once, themed from the page's colours (and again when the theme changes).
  useEffect(() => {
    const container = containerRef.current;
    if (!container) return;
    const theme = readTheme(container);
    const chart = createChart(container, {
      autoSize: true,
      ...themeOptions(theme),
      crosshair: { mode: CrosshairMode.Normal },
      timeScale: { ...themeOptions(theme).timeScale, timeVisible: true, secondsVisible: false },
      localization: { priceFormatter: cachedPriceFormatter(priceTick) },
    });
    chartRef.current = chart;
    const candles = chart.addSeries(CandlestickSeries, {
      upColor: theme.gain,
      downColor: theme.loss,
      borderVisible: false,
      wickUpColor: theme.gain,
      wickDownColor: theme.loss,
    });
    candlesRef.current = candles;
    const volume = chart.addSeries(HistogramSeries, {
      priceScaleId: 'volume',
      priceFormat: { type: 'volume' },
      priceLineVisible: false,
      lastValueVisible: false,
    });
    chart.priceScale('volume').applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
    volumeRef.current = volume;
    markersRef.current = createSeriesMarkers(candles, []);
    const plotSeries = plotSeriesRef.current;

    chart.subscribeCrosshairMove((param) => {
      if (param.time === undefined) return;
      const time = msOf(param.time);
      setReadout({ time, index: -1 });
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    // The logical range, not the time range: the time range stops at the candles held, so zoomed out past them it
    // would never say that the user looks at more than the chart holds.
    chart.timeScale().subscribeVisibleLogicalRangeChange((logical) => {
      const held = windowRef.current;
      if (!logical || !held || held.candles.time.length === 0) return;
      const next = rangeOfLogical(held.candles.time, held.bucketMs, logical);
      setVisible(next);
      if (applyingRef.current) return;
      clearTimeout(timer);
      timer = setTimeout(() => {
        const win = windowRef.current;
        drawMarkers();
        if (win && needsWindow(win, next, chart.timeScale().width())) void load(next, { kind: 'current' });
      }, 150);
    });
    // Themes: the page switches `html.dark` / `html.light`; the chart follows.
    const observer = new MutationObserver(() => {
      const t = readTheme(container);
      chart.applyOptions(themeOptions(t));
      candles.applyOptions({ upColor: t.gain, downColor: t.loss, wickUpColor: t.gain, wickDownColor: t.loss });
    });
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ['class'] });
    // A test hook and a screen-reader-free way to find where a time is drawn (px from the chart's left edge).
    (container as HTMLDivElement & { timeToX?: (ms: number) => number | null }).timeToX = (ms) => chart.timeScale().timeToCoordinate(seconds(ms));
    void load(null, { kind: 'fit' });
    return () => {
      clearTimeout(timer);
      clearTimeout(liveTimerRef.current);
      observer.disconnect();
      plotSeries.clear();
      chart.remove();
      chartRef.current = null;
      candlesRef.current = null;
      volumeRef.current = null;
      markersRef.current = null;
    };
  }, [load, drawMarkers, priceTick]);

  // A tap on a phone: the readout follows the finger's candle even where the library waits for a long press.
  const onPointerUp = useCallback((event: React.PointerEvent<HTMLDivElement>) => {
    const chart = chartRef.current;
    const container = containerRef.current;
    if (!chart || !container || event.pointerType !== 'touch') return;
    const x = event.clientX - container.getBoundingClientRect().left;
    const time = chart.timeScale().coordinateToTime(x);
    if (time !== null) setReadout({ time: msOf(time), index: -1 });
  }, []);

  useEffect(() => {
    if (!focus || !chartRef.current) return;
    const win = windowRef.current;
    const bar = win ? Math.min(win.bucketMs, 24 * 3_600_000) : 3_600_000;
    const pad = Math.max(20 * bar, (focus.to - focus.from) * 0.5);
    const range = { from: focus.from - pad, to: focus.to + pad };
    requestRef.current = '';
    void load(range, { kind: 'range', range });
  }, [focus, load]);

  // A live series moved on: at most once a second, the user's view again with the new bars (followed at the right edge).
  useEffect(() => {
    const win = windowRef.current;
    if (liveEnd === undefined || !win || win.last === null || liveEnd <= win.last || liveTimerRef.current) return;
    liveTimerRef.current = setTimeout(() => {
      liveTimerRef.current = undefined;
      const chart = chartRef.current;
      const held = windowRef.current;
      const logical = chart?.timeScale().getVisibleLogicalRange();
      if (!chart || !held || held.last === null || !logical || held.candles.time.length === 0) return;
      const view = rangeOfLogical(held.candles.time, held.bucketMs, logical);
      const follow = view.to >= held.last;
      const shift = follow ? (liveEndRef.current ?? held.last) - held.last : 0;
      requestRef.current = '';
      void load({ from: view.from + shift, to: view.to + shift }, { kind: follow ? 'follow' : 'current' });
    }, 1_000);
  }, [liveEnd, load]);

  const index = readout ? (timeIndex.get(readout.time) ?? -1) : data && data.candles.time.length > 0 ? data.candles.time.length - 1 : -1;
  const c = data?.candles;
  const shownTime = index >= 0 && c ? c.time[index]! : null;
  const here = shownTime !== null ? (markersByTime.get(shownTime) ?? []) : [];

  return (
    <div className="space-y-2">
      <ChartReadout data={data} index={index} here={here} priceTick={priceTick} amountStep={amountStep} />
      {error ? <ErrorState message={`Could not load the chart: ${error}`} /> : null}
      <div className="relative" style={{ height }}>
        {!data && !error ? <Skeleton className="absolute inset-0" /> : null}
        <div
          ref={containerRef}
          className="absolute inset-0 touch-none"
          data-testid="price-chart"
          role="img"
          aria-label={`Candlestick chart: ${label}`}
          data-bucket-ms={data?.bucketMs ?? ''}
          data-aggregated={data ? String(data.aggregated) : ''}
          data-candles={data?.candles.time.length ?? 0}
          data-last={data?.last ?? ''}
          data-visible-from={visible?.from ?? ''}
          data-visible-to={visible?.to ?? ''}
          onPointerUp={onPointerUp}
          onPointerLeave={(event) => {
            if (event.pointerType === 'mouse') setReadout(null);
          }}
        />
      </div>
      {trades && data && data.markers.length === 0 && data.candles.time.length > 0 ? (
        <p className="text-xs text-muted">No trades in this part of the chart.</p>
      ) : null}
    </div>
  );
}
