'use client';

import { useQuery } from '@tanstack/react-query';
import { useEffect, useMemo } from 'react';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useTRPC } from '@/components/trpc/client';
import { ErrorState, Skeleton } from '@/components/ui/states';
import type { DeploymentResponse } from '@/server/api/schemas/deployments';
import { formatDateTime, formatMoney, formatNumber } from '@/components/format';

export interface EquityPoint {
  /** ms UTC: feed time (a replay's point is in the replayed past). */
  time: number;
  equity: number;
  source: 'start' | 'fill' | 'bar';
}

/**
 * Bar-close equities seen while this tab was open, per deployment: between two fetches of the curve (refetched
 * when one of the deployment's orders changes) they make the line follow every bar while you watch.
 */
const observed = new Map<string, Map<number, number>>();

function record(deployment: DeploymentResponse) {
  if (!deployment.lastBarTime) return;
  const points = observed.get(deployment.id) ?? new Map<number, number>();
  points.set(Date.parse(deployment.lastBarTime), Number(deployment.equity));
  observed.set(deployment.id, points);
}

/**
 * The deployment's equity over feed time: the server's curve (deployments.equity: bar closes marked from its
 * fills and the stored candles, docs/trading.md), then the bar closes observed live since it was fetched, and
 * the deployment's equity now. Chart numbers only: the figures shown as text are the API's strings.
 */
export function useDeploymentEquity(deployment: DeploymentResponse) {
  const trpc = useTRPC();
  const curve = useQuery(trpc.deployments.equity.queryOptions({ id: deployment.id }));
  useEffect(() => record(deployment), [deployment]);

  const served = curve.data?.points;
  const points = useMemo(() => {
    const byTime = new Map<number, EquityPoint>();
    let servedUntil = -Infinity;
    for (const point of served ?? []) {
      const time = Date.parse(point.time);
      byTime.set(time, { time, equity: Number(point.equity), source: point.source });
      servedUntil = Math.max(servedUntil, time);
    }
    for (const [time, equity] of observed.get(deployment.id) ?? []) if (time > servedUntil) byTime.set(time, { time, equity, source: 'bar' });
    if (deployment.lastBarTime) {
      const last = Date.parse(deployment.lastBarTime);
      byTime.set(last, { time: last, equity: Number(deployment.equity), source: 'bar' });
    }
    return [...byTime.values()].sort((a, b) => a.time - b.time);
  }, [deployment, served]);

  return { points, isPending: curve.isPending, isError: curve.isError, refetch: () => void curve.refetch() };
}

const axis = { stroke: 'var(--muted)', fontSize: 11 };
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Axis ticks on round UTC times (feed time), about six across the span, and how to label them. */
function timeTicks(fromMs: number, toMs: number): { ticks: number[]; format: (ms: number) => string } {
  const span = Math.max(toMs - fromMs, 1);
  const step =
    [HOUR_MS, 3 * HOUR_MS, 6 * HOUR_MS, 12 * HOUR_MS, DAY_MS, 2 * DAY_MS, 7 * DAY_MS, 14 * DAY_MS, 30 * DAY_MS, 91 * DAY_MS, 365 * DAY_MS].find(
      (s) => span / s <= 6,
    ) ?? 365 * DAY_MS;
  const ticks: number[] = [];
  for (let t = Math.ceil(fromMs / step) * step; t <= toMs; t += step) ticks.push(t);
  const format = (ms: number) => {
    const iso = new Date(ms).toISOString();
    return step < DAY_MS ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : step >= 91 * DAY_MS ? iso.slice(0, 7) : iso.slice(5, 10);
  };
  return { ticks, format };
}

/** The deployment's equity curve; `compact` is the dashboard's small version without axes. */
export function DeploymentEquityChart({ deployment, compact = false }: { deployment: DeploymentResponse; compact?: boolean }) {
  const curve = useDeploymentEquity(deployment);
  const quote = deployment.strategy.symbol.split('/')[1] ?? '';
  const height = compact ? 'h-16' : 'h-56';
  if (curve.isPending) return <Skeleton className={`${height} w-full`} />;
  if (curve.isError) return <ErrorState message="Could not load the equity curve." retry={curve.refetch} />;
  if (curve.points.length < 2) {
    return (
      <div
        className={`flex ${height} items-center justify-center rounded-md border border-dashed border-border text-xs text-muted`}
        data-testid="deployment-equity-chart"
        data-points={curve.points.length}
      >
        The curve starts with the first processed bar.
      </div>
    );
  }
  const axisTicks = timeTicks(curve.points[0]!.time, curve.points[curve.points.length - 1]!.time);
  return (
    <div
      className={`${height} w-full`}
      data-testid="deployment-equity-chart"
      data-points={curve.points.length}
      role="img"
      aria-label={`Equity of ${deployment.strategyName ?? deployment.strategy.symbol}: ${formatMoney(deployment.capitalQuote)} → ${formatMoney(deployment.equity, quote)}`}
    >
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={curve.points} margin={{ top: 4, right: compact ? 2 : 8, bottom: 0, left: compact ? 2 : 0 }}>
          {compact ? null : <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" />}
          <XAxis
            dataKey="time"
            type="number"
            scale="time"
            domain={['dataMin', 'dataMax']}
            ticks={axisTicks.ticks}
            tickFormatter={axisTicks.format}
            hide={compact}
            {...axis}
          />
          <YAxis domain={['auto', 'auto']} hide={compact} width={72} tickFormatter={(v: number) => formatNumber(v, 0)} {...axis} />
          {compact ? null : (
            <Tooltip
              labelFormatter={(v) => formatDateTime(Number(v))}
              formatter={(v) => [formatMoney(Number(v), quote), 'Equity']}
              contentStyle={{ background: 'var(--panel)', border: '1px solid var(--border)' }}
            />
          )}
          <Line type="linear" dataKey="equity" stroke="var(--accent)" dot={false} strokeWidth={1.5} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
