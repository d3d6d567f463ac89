'use client';

/**
 * A candlestick chart with volume, on recharts: each candle is a range bar [low, high] drawn by a
 * custom shape (wick + body), volume bars sit in the bottom fifth on their own axis. Takes candles as
 * rows ([timeMs, o, h, l, c, v]) or columnar arrays, plus optional entry/exit markers (backtests,
 * orders). Colours come from the theme tokens (gain/loss); up and down candles also differ in fill
 * (hollow vs solid), so colour is never the only carrier.
 */
import { useMemo } from 'react';
import { formatAxisTime, formatDateTime, formatPrice, formatQuantity } from '@/components/format';
import { Bar, CartesianGrid, ComposedChart, ReferenceDot, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

export type CandleRow = readonly [number, number, number, number, number, number];

export interface ColumnarCandles {
  time: ArrayLike<number>;
  open: ArrayLike<number>;
  high: ArrayLike<number>;
  low: ArrayLike<number>;
  close: ArrayLike<number>;
  volume: ArrayLike<number>;
}

export interface ChartMarker {
  /** Candle open time the marker sits on, ms UTC (snapped to the candle containing it). */
  timeMs: number;
  price: number;
  kind: 'entry' | 'exit';
  label?: string;
}

export interface CandlestickChartProps {
  candles: readonly CandleRow[] | ColumnarCandles;
  markers?: readonly ChartMarker[];
  height?: number;
  showVolume?: boolean;
  /** The market's price tick ("0.01"): prices show on it; null: significant digits (components/format). */
  priceTick?: string | null;
  /** Accessible description, e.g. "BTC/USDT 1h". */
  label?: string;
}

interface Point {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  range: [number, number];
  up: boolean;
}

function toPoints(candles: CandlestickChartProps['candles']): Point[] {
  const points: Point[] = [];
  if (Array.isArray(candles)) {
    for (const [time, open, high, low, close, volume] of candles as readonly CandleRow[])
      points.push({ time, open, high, low, close, volume, range: [low, high], up: close >= open });
    return points;
  }
  const c = candles as ColumnarCandles;
  for (let i = 0; i < c.time.length; i++) {
    const [open, high, low, close] = [c.open[i]!, c.high[i]!, c.low[i]!, c.close[i]!];
    points.push({ time: c.time[i]!, open, high, low, close, volume: c.volume[i]!, range: [low, high], up: close >= open });
  }
  return points;
}

interface ShapeProps {
  x?: number;
  y?: number;
  width?: number;
  height?: number;
  payload?: Point;
}

/** One candle: a wick over the full [low, high] bar and a body from open to close, scaled inside it. */
function CandleShape({ x = 0, y = 0, width = 0, height = 0, payload }: ShapeProps) {
  if (!payload) return null;
  const { open, close, high, low, up } = payload;
  const span = high - low;
  const scale = (price: number) => (span > 0 ? y + ((high - price) / span) * height : y + height / 2);
  const bodyTop = scale(Math.max(open, close));
  const bodyHeight = Math.max(1, Math.abs(scale(open) - scale(close)));
  const colour = up ? 'var(--gain)' : 'var(--loss)';
  const bodyWidth = Math.max(1, width * 0.7);
  const centre = x + width / 2;
  return (
    <g>
      <line x1={centre} x2={centre} y1={y} y2={y + height} stroke={colour} strokeWidth={1} />
      <rect x={centre - bodyWidth / 2} y={bodyTop} width={bodyWidth} height={bodyHeight} stroke={colour} strokeWidth={1} fill={up ? 'var(--panel)' : colour} />
    </g>
  );
}

function VolumeShape({ x = 0, y = 0, width = 0, height = 0, payload }: ShapeProps) {
  if (!payload) return null;
  return (
    <rect
      x={x + width * 0.15}
      y={y}
      width={Math.max(1, width * 0.7)}
      height={Math.max(0, height)}
      fill={payload.up ? 'var(--gain)' : 'var(--loss)'}
      opacity={0.35}
    />
  );
}

function MarkerShape({ cx = 0, cy = 0, kind }: { cx?: number; cy?: number; kind: ChartMarker['kind'] }) {
  // Entry: an upward triangle below the price; exit: a downward one above it.
  const size = 6;
  const points =
    kind === 'entry'
      ? `${cx},${cy + 2} ${cx - size},${cy + 2 + size * 1.6} ${cx + size},${cy + 2 + size * 1.6}`
      : `${cx},${cy - 2} ${cx - size},${cy - 2 - size * 1.6} ${cx + size},${cy - 2 - size * 1.6}`;
  return <polygon points={points} fill={kind === 'entry' ? 'var(--accent)' : 'var(--warn)'} stroke="var(--bg)" strokeWidth={1} />;
}

export function CandlestickChart({ candles, markers = [], height = 360, showVolume = true, priceTick = null, label }: CandlestickChartProps) {
  const points = useMemo(() => toPoints(candles), [candles]);
  const span = points.length > 1 ? points[points.length - 1]!.time - points[0]!.time : 0;
  const [minPrice, maxPrice, maxVolume] = useMemo(() => {
    let lo = Infinity;
    let hi = -Infinity;
    let vol = 0;
    for (const p of points) {
      lo = Math.min(lo, p.low);
      hi = Math.max(hi, p.high);
      vol = Math.max(vol, p.volume);
    }
    return [lo, hi, vol];
  }, [points]);
  // Markers snap to the candle containing their time (category axis).
  const snapped = useMemo(() => {
    if (points.length === 0) return [];
    return markers.flatMap((m) => {
      let candidate: Point | undefined;
      for (const p of points) {
        if (p.time <= m.timeMs) candidate = p;
        else break;
      }
      return candidate ? [{ ...m, time: candidate.time }] : [];
    });
  }, [markers, points]);

  if (points.length === 0) return null;
  const pad = (maxPrice - minPrice) * 0.05 || maxPrice * 0.01;
  const price = (v: number) => formatPrice(v, { priceTick });

  return (
    <div
      role="img"
      aria-label={label ? `Candlestick chart: ${label}` : 'Candlestick chart'}
      data-testid="candlestick-chart"
      style={{ height }}
      className="w-full"
    >
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart data={points} margin={{ top: 8, right: 8, bottom: 0, left: 0 }} barCategoryGap={1}>
          <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" vertical={false} />
          <XAxis
            dataKey="time"
            tickFormatter={(v: number) => formatAxisTime(v, 'UTC', span > 3 * 86_400_000)}
            stroke="var(--muted)"
            fontSize={11}
            minTickGap={40}
            tickLine={false}
          />
          <YAxis
            yAxisId="price"
            orientation="right"
            domain={[minPrice - pad, maxPrice + pad]}
            tickFormatter={price}
            stroke="var(--muted)"
            fontSize={11}
            width={72}
            allowDataOverflow
          />
          {showVolume ? <YAxis yAxisId="volume" hide domain={[0, maxVolume * 5 || 1]} /> : null}
          <Tooltip
            cursor={{ fill: 'var(--panel-2)', opacity: 0.5 }}
            contentStyle={{ background: 'var(--panel)', color: 'var(--fg)', border: '1px solid var(--border)', borderRadius: 6, fontSize: 12 }}
            labelStyle={{ color: 'var(--fg)' }}
            itemStyle={{ color: 'var(--fg)' }}
            labelFormatter={(v) => formatDateTime(Number(v))}
            formatter={(value, name, item) => {
              const p = (item as { payload?: Point }).payload;
              if (name === 'range' && p) return [`O ${price(p.open)} H ${price(p.high)} L ${price(p.low)} C ${price(p.close)}`, 'OHLC'];
              if (name === 'volume') return [formatQuantity(Number(value)), 'Volume'];
              return [String(value), String(name)];
            }}
          />
          {showVolume ? (
            <Bar yAxisId="volume" dataKey="volume" isAnimationActive={false} shape={(props: unknown) => <VolumeShape {...(props as ShapeProps)} />} />
          ) : null}
          <Bar yAxisId="price" dataKey="range" isAnimationActive={false} shape={(props: unknown) => <CandleShape {...(props as ShapeProps)} />} />
          {snapped.map((m, i) => (
            <ReferenceDot
              key={`${m.kind}-${m.time}-${i}`}
              yAxisId="price"
              x={m.time}
              y={m.price}
              r={0}
              ifOverflow="extendDomain"
              shape={(props: unknown) => <MarkerShape {...(props as { cx?: number; cy?: number })} kind={m.kind} />}
            />
          ))}
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}
