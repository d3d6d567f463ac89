'use client';

import { Area, Bar, BarChart, CartesianGrid, ComposedChart, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatAxisTime, formatCount, formatDateTime, formatMoney, formatNumber, formatPercent } from '@/components/format';

const axis = { stroke: 'var(--muted)', fontSize: 11 };
const tooltipStyle = { background: 'var(--panel)', border: '1px solid var(--border)' };

export interface BandPoint {
  x: number;
  time?: number;
  p5: number;
  p50: number;
  p95: number;
  original: number;
}

/**
 * The Monte Carlo fan: the P5–P95 band of the runs' equity, their median, and the backtest's own curve, over bar time
 * (price paths) or trade number (trade methods).
 */
export function FanChart({ bands }: { bands: BandPoint[] }) {
  const byTime = bands.length > 0 && bands[0]!.time !== undefined;
  const data = bands.map((b) => ({ key: byTime ? b.time! : b.x, band: [b.p5, b.p95] as [number, number], p50: b.p50, original: b.original }));
  // Backtests run on UTC bars: their charts read in UTC whatever the display zone.
  const label = (v: number) => (byTime ? formatDateTime(v, 'UTC') : `after trade ${formatCount(v)}`);
  return (
    <div className="h-72 w-full" data-testid="fan-chart">
      <ResponsiveContainer width="100%" height="100%">
        <ComposedChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" />
          <XAxis
            dataKey="key"
            type="number"
            domain={['dataMin', 'dataMax']}
            tickFormatter={(v: number) => (byTime ? formatAxisTime(v, 'UTC', true) : formatCount(v))}
            {...axis}
          />
          <YAxis {...axis} width={64} domain={['auto', 'auto']} tickFormatter={(v: number) => formatNumber(v, 0)} />
          <Tooltip
            labelFormatter={(v) => label(Number(v))}
            formatter={(v, name) => {
              const text = Array.isArray(v) ? `${formatMoney(Number(v[0]))} – ${formatMoney(Number(v[1]))}` : formatMoney(Number(v));
              return [text, name === 'band' ? 'P5 – P95' : name === 'p50' ? 'Median (P50)' : 'This backtest'];
            }}
            contentStyle={tooltipStyle}
          />
          <Area type="monotone" dataKey="band" stroke="none" fill="var(--accent)" fillOpacity={0.2} isAnimationActive={false} />
          <Line type="monotone" dataKey="p50" stroke="var(--accent)" dot={false} strokeWidth={1.5} isAnimationActive={false} />
          <Line type="monotone" dataKey="original" stroke="var(--fg)" strokeDasharray="4 3" dot={false} strokeWidth={1} isAnimationActive={false} />
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}

/** A distribution over the runs (equal-width bins of a percentage). */
export function DistributionChart({ bins, label, testId }: { bins: { from: number; to: number; count: number }[]; label: string; testId: string }) {
  const data = bins.map((b) => ({ mid: (b.from + b.to) / 2, from: b.from, to: b.to, count: b.count }));
  return (
    <div className="h-40 w-full" data-testid={testId} aria-label={label}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <XAxis dataKey="mid" tickFormatter={(v: number) => formatPercent(v, { decimals: 0 })} {...axis} />
          <YAxis {...axis} width={40} allowDecimals={false} />
          <Tooltip
            labelFormatter={(_, payload) => {
              const p = payload?.[0]?.payload as { from: number; to: number } | undefined;
              return p ? `${formatPercent(p.from)} to ${formatPercent(p.to)}` : '';
            }}
            formatter={(v) => [formatCount(Number(v)), 'runs']}
            contentStyle={tooltipStyle}
          />
          <Bar dataKey="count" fill="var(--accent)" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
