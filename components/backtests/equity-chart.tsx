'use client';

import { Area, AreaChart, CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatAxisTime, formatDateTime, formatMoney, formatNumber, formatPercent } from '@/components/format';

// Backtests run on UTC bars: their charts read in UTC whatever the display zone.
const axisDate = (v: number) => formatAxisTime(v, 'UTC', true);

interface Point {
  time: number;
  equity: number;
  drawdown: number;
}

const axis = { stroke: 'var(--muted)', fontSize: 11 };

/** Equity (quote) with the drawdown (%) under it, sharing the time axis. */
export function EquityChart({ time, equity, drawdownPct }: { time: number[]; equity: number[]; drawdownPct: number[] }) {
  const data: Point[] = time.map((t, i) => ({ time: t, equity: equity[i]!, drawdown: -drawdownPct[i]! }));
  return (
    <div data-testid="equity-chart" className="space-y-1">
      <div className="h-56 w-full">
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={data} syncId="backtest" margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
            <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" />
            <XAxis dataKey="time" type="number" scale="time" domain={['dataMin', 'dataMax']} tickFormatter={axisDate} {...axis} hide />
            <YAxis {...axis} width={64} domain={['auto', 'auto']} tickFormatter={(v: number) => formatNumber(v, 0)} />
            <Tooltip
              labelFormatter={(v) => formatDateTime(Number(v))}
              formatter={(v) => [formatMoney(Number(v)), 'Equity']}
              contentStyle={{ background: 'var(--panel)', border: '1px solid var(--border)' }}
            />
            <Line type="monotone" dataKey="equity" stroke="var(--accent)" dot={false} strokeWidth={1.5} isAnimationActive={false} />
          </LineChart>
        </ResponsiveContainer>
      </div>
      <div className="h-24 w-full" data-testid="drawdown-chart">
        <ResponsiveContainer width="100%" height="100%">
          <AreaChart data={data} syncId="backtest" margin={{ top: 0, right: 8, bottom: 0, left: 0 }}>
            <XAxis dataKey="time" type="number" scale="time" domain={['dataMin', 'dataMax']} tickFormatter={axisDate} {...axis} />
            <YAxis {...axis} width={64} tickFormatter={(v: number) => formatPercent(v, { decimals: 0 })} />
            <Tooltip
              labelFormatter={(v) => formatDateTime(Number(v))}
              formatter={(v) => [formatPercent(Number(v)), 'Drawdown']}
              contentStyle={{ background: 'var(--panel)', border: '1px solid var(--border)' }}
            />
            <Area type="monotone" dataKey="drawdown" stroke="var(--loss)" fill="var(--loss)" fillOpacity={0.25} isAnimationActive={false} />
          </AreaChart>
        </ResponsiveContainer>
      </div>
    </div>
  );
}
