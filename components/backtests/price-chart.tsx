'use client';

import { CartesianGrid, ComposedChart, Line, ResponsiveContainer, Scatter, Tooltip, XAxis, YAxis } from 'recharts';
import { formatAxisTime, formatDateTime, formatNumber, formatPrice } from '@/components/format';

export const MAX_MARKERS = 1_000;

/** `close` holds the fill price so the marker sits on the same axes as the price line. */
interface Marker {
  time: number;
  close: number;
}

function Triangle({ cx, cy, up, color }: { cx?: number; cy?: number; up: boolean; color: string }) {
  if (cx === undefined || cy === undefined) return null;
  const d = 6;
  const points = up ? `${cx},${cy - d} ${cx - d},${cy + d} ${cx + d},${cy + d}` : `${cx},${cy + d} ${cx - d},${cy - d} ${cx + d},${cy - d}`;
  return <polygon className={up ? 'marker-entry' : 'marker-exit'} points={points} fill={color} stroke="var(--bg)" strokeWidth={1} />;
}

/** Close price with a ▲ at every entry fill and a ▼ at every exit fill (the first MAX_MARKERS trades). */
export function PriceChart({
  time,
  close,
  trades,
}: {
  time: number[];
  close: number[];
  trades: Array<{ entryTime: string; exitTime: string; entryPrice: string; exitPrice: string }>;
}) {
  const data = time.map((t, i) => ({ time: t, close: close[i]! }));
  const shown = trades.slice(0, MAX_MARKERS);
  const entries: Marker[] = shown.map((t) => ({ time: Date.parse(t.entryTime), close: Number(t.entryPrice) }));
  const exits: Marker[] = shown.map((t) => ({ time: Date.parse(t.exitTime), close: Number(t.exitPrice) }));
  const axis = { stroke: 'var(--muted)', fontSize: 11 };
  return (
    <div data-testid="price-chart" data-entries={entries.length} data-exits={exits.length} className="space-y-1">
      <div className="h-72 w-full">
        <ResponsiveContainer width="100%" height="100%">
          <ComposedChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
            <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" />
            <XAxis
              dataKey="time"
              type="number"
              scale="time"
              domain={['dataMin', 'dataMax']}
              tickFormatter={(v: number) => formatAxisTime(v, 'UTC', true)}
              {...axis}
            />
            <YAxis {...axis} width={64} domain={['auto', 'auto']} tickFormatter={(v: number) => formatNumber(v, 0)} />
            <Tooltip
              labelFormatter={(v) => formatDateTime(Number(v))}
              formatter={(v, name) => [formatPrice(Number(v)), name === 'close' ? 'Close' : String(name)]}
              contentStyle={{ background: 'var(--panel)', border: '1px solid var(--border)' }}
            />
            <Line type="linear" dataKey="close" stroke="var(--fg)" strokeOpacity={0.7} dot={false} strokeWidth={1} isAnimationActive={false} />
            <Scatter
              name="entry"
              data={entries}
              dataKey="close"
              isAnimationActive={false}
              shape={(p: { cx?: number; cy?: number }) => <Triangle cx={p.cx} cy={p.cy} up color="var(--gain)" />}
            />
            <Scatter
              name="exit"
              data={exits}
              dataKey="close"
              isAnimationActive={false}
              shape={(p: { cx?: number; cy?: number }) => <Triangle cx={p.cx} cy={p.cy} up={false} color="var(--loss)" />}
            />
          </ComposedChart>
        </ResponsiveContainer>
      </div>
      <p className="text-xs text-muted">
        <span className="text-gain">▲ entry</span> · <span className="text-loss">▼ exit</span>
        {trades.length > MAX_MARKERS ? ` · markers for the first ${MAX_MARKERS} of ${trades.length} trades` : ''}
      </p>
    </div>
  );
}
