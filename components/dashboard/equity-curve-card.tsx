'use client';

import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatAxisTime, formatDateTime, formatMoney, formatNumber } from '@/components/format';
import { useTimeZone } from '@/components/format/time-zone';
import { useTRPC } from '@/components/trpc/client';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { EmptyState, ErrorState, Skeleton } from '@/components/ui/states';

const RANGES = [
  { label: '1D', ms: 86_400_000 },
  { label: '7D', ms: 7 * 86_400_000 },
  { label: '30D', ms: 30 * 86_400_000 },
  { label: '1Y', ms: 365 * 86_400_000 },
] as const;
type Range = (typeof RANGES)[number]['label'];
/** Snapshots are written once a minute and announce nothing: the curve re-reads at that pace. */
const SNAPSHOT_POLL_MS = 60_000;
const axis = { stroke: 'var(--muted)', fontSize: 11 };

/**
 * The y-axis: the data's range with a tenth of margin, and never narrower than 0.5 % of the equity, so a flat or
 * nearly flat curve reads as flat (not as a swing across a ±2 USDT axis).
 */
export function equityDomain(values: number[]): [number, number] {
  if (values.length === 0) return [0, 1];
  const min = Math.min(...values);
  const max = Math.max(...values);
  const pad = Math.max((max - min) * 0.1, Math.abs(max) * 0.0025, 1);
  return [Math.floor(min - pad), Math.ceil(max + pad)];
}

/** "from" for a range, to the minute, so the query key stays the same between renders. */
const fromFor = (ms: number) => Math.floor((Date.now() - ms) / 60_000) * 60_000;

/**
 * Total equity over time: the worker's snapshots of every account (portfolio.equityCurve), plus the
 * portfolio's equity now as the last point, so the line moves with every fill.
 */
export function EquityCurveCard() {
  const trpc = useTRPC();
  const zone = useTimeZone();
  const [range, setRange] = useState<{ label: Range; from: number }>(() => ({ label: '7D', from: fromFor(RANGES[1].ms) }));
  const curve = useQuery({ ...trpc.portfolio.equityCurve.queryOptions({ from: range.from }), refetchInterval: SNAPSHOT_POLL_MS });
  const portfolio = useQuery(trpc.portfolio.get.queryOptions());

  const now = portfolio.data;
  // The live total is the last point whenever every account could be valued; a partial total (an account in
  // error) is not drawn next to full snapshots.
  const valued = now && now.totals.accounts > 0 && now.totals.accountsWithErrors === 0;
  const liveTime = valued ? Date.parse(now.asOf) : null;
  const liveEquity = valued ? Number(now.totals.equity) : null;
  const data = useMemo(() => {
    const points = (curve.data?.points ?? []).map((p) => ({ time: Date.parse(p.time), equity: Number(p.equity) }));
    if (liveTime !== null && liveEquity !== null) {
      // A snapshot's bucket starts at or before now: drop any at or after it, so the curve ends on the live total.
      while (points.length && points[points.length - 1]!.time >= liveTime) points.pop();
      points.push({ time: liveTime, equity: liveEquity });
    }
    return points;
  }, [curve.data, liveTime, liveEquity]);
  const domain = useMemo(() => equityDomain(data.map((p) => p.equity)), [data]);

  const currency = curve.data?.currency ?? portfolio.data?.currency ?? '';
  const showDates = range.label !== '1D';
  const tick = (ms: number) => formatAxisTime(ms, zone, showDates);

  return (
    <Card className="min-w-0">
      <CardHeader className="flex-row flex-wrap items-center justify-between gap-2">
        <div>
          <CardTitle>Equity</CardTitle>
          <p className="text-xs text-muted">All accounts{currency ? `, in ${currency}` : ''}; the last point is now.</p>
        </div>
        <div role="group" aria-label="Range" className="flex gap-1">
          {RANGES.map((r) => (
            <Button
              key={r.label}
              size="sm"
              variant={range.label === r.label ? 'secondary' : 'ghost'}
              aria-pressed={range.label === r.label}
              onClick={() => setRange({ label: r.label, from: fromFor(r.ms) })}
            >
              {r.label}
            </Button>
          ))}
        </div>
      </CardHeader>
      <CardContent>
        {curve.isPending ? (
          <Skeleton className="h-56 w-full" />
        ) : curve.isError ? (
          <ErrorState message={`Could not load the equity curve: ${curve.error.message}`} retry={() => void curve.refetch()} />
        ) : data.length < 2 ? (
          <EmptyState title={data.length === 0 ? 'No equity history yet' : 'Not enough history for a curve yet'}>
            <span data-testid="equity-curve-short" data-equity={data[0]?.equity}>
              {data.length === 1 ? `Total equity now: ${formatMoney(data[0]!.equity, currency)}. ` : ''}
              The worker records every account&apos;s equity once a minute; the curve starts with the first record in the {range.label} range.
            </span>
          </EmptyState>
        ) : (
          <div
            className="h-56 w-full"
            data-testid="equity-curve"
            data-points={data.length}
            data-last={data[data.length - 1]!.equity}
            role="img"
            aria-label={`Total equity over ${range.label}: ${formatMoney(data[data.length - 1]!.equity, currency)} now`}
          >
            <ResponsiveContainer width="100%" height="100%">
              <LineChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
                <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" />
                <XAxis dataKey="time" type="number" scale="time" domain={['dataMin', 'dataMax']} tickFormatter={tick} minTickGap={48} {...axis} />
                <YAxis domain={domain} width={72} tickFormatter={(v: number) => formatNumber(v, 0)} {...axis} />
                <Tooltip
                  labelFormatter={(v) => formatDateTime(Number(v), zone)}
                  formatter={(v) => [formatMoney(Number(v), currency), 'Equity']}
                  contentStyle={{ background: 'var(--panel)', border: '1px solid var(--border)' }}
                />
                <Line type="linear" dataKey="equity" stroke="var(--accent)" strokeWidth={1.5} dot={data.length < 3} isAnimationActive={false} />
              </LineChart>
            </ResponsiveContainer>
          </div>
        )}
      </CardContent>
    </Card>
  );
}
