'use client';

import { useQueries, useQuery } from '@tanstack/react-query';
import { useEffect, useMemo } from 'react';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useTRPC } from '@/components/trpc/client';
import { ErrorState, Skeleton } from '@/components/ui/states';
import type { DeploymentResponse } from '@/server/api/schemas/deployments';
import { timeframeToMs } from '@/server/core/timeframe';
import { amount } from './format';

export interface EquityPoint {
  /** ms UTC: feed time (a replay's point is in the replayed past). */
  time: number;
  equity: number;
  source: 'start' | 'fill' | 'bar';
}

/**
 * Bar-close equities seen while this tab was open, per deployment: they make the line follow every bar
 * while you watch. After a reload the curve is rebuilt from the start and the fills alone.
 */
function combineDetails<T>(results: Array<{ data: T | undefined; isError: boolean }>) {
  return { data: results.map((r) => r.data), isError: results.some((r) => r.isError) };
}

const observed = new Map<string, Map<number, number>>();

function record(deployment: DeploymentResponse) {
  if (!deployment.lastBarTime) return;
  const points = observed.get(deployment.id) ?? new Map<number, number>();
  points.set(Date.parse(deployment.lastBarTime), Number(deployment.equity));
  observed.set(deployment.id, points);
}

/** The candles the curve is marked with: at most one page (5,000 bars) from the feed's start. */
const CANDLE_LIMIT = 5_000;

/**
 * The deployment's equity over feed time, as its runner counts it: cash + position × close at every bar
 * close, with cash and position replayed from its orders' fills over the stored candles of its market.
 * Past the candles (a live feed not stored yet, the simulated market, a replay beyond one page) the points
 * are the equity after each fill and the bar-close equities observed live. The last point is the API's
 * equity now. Chart numbers only: the figures shown as text are the API's strings.
 */
export function useDeploymentEquity(deployment: DeploymentResponse) {
  const trpc = useTRPC();
  const { strategy, feed } = deployment;
  const step = timeframeToMs(strategy.timeframe);
  const startMs = Math.floor(Date.parse(feed.start ?? deployment.createdAt) / step) * step - (feed.type === 'live' ? step : 0);
  const orders = useQuery(trpc.orders.list.queryOptions({ deploymentId: deployment.id, limit: 500 }));
  const filled = useMemo(() => (orders.data ?? []).filter((o) => Number(o.filledQuantity) > 0), [orders.data]);
  // A settled order's fills do not change; a new or changed order is invalidated by its live event.
  const details = useQueries({ queries: filled.map((o) => ({ ...trpc.orders.get.queryOptions({ id: o.id }), staleTime: Infinity })), combine: combineDetails });
  const candles = useQuery({
    ...trpc.marketData.candles.queryOptions({ exchange: strategy.exchange, symbol: strategy.symbol, timeframe: strategy.timeframe, start: startMs, limit: CANDLE_LIMIT }),
    enabled: feed.type !== 'simulated',
    // Stored history does not change under a replay; a live market grows.
    staleTime: feed.type === 'replay' ? Infinity : 60_000,
  });
  useEffect(() => record(deployment), [deployment]);

  const detailData = details.data;
  const candleRows = candles.data?.candles;
  const points = useMemo(() => {
    const [base, quote] = strategy.symbol.split('/');
    const fills = detailData
      .flatMap((order) => (order ? order.fills.map((f) => ({ ...f, side: order.side, time: Date.parse(f.executedAt) })) : []))
      .sort((a, b) => a.time - b.time);
    const lastBar = deployment.lastBarTime ? Date.parse(deployment.lastBarTime) : null;
    const byTime = new Map<number, EquityPoint>();
    byTime.set(startMs, { time: startMs, equity: Number(deployment.capitalQuote), source: 'start' });

    let cash = Number(deployment.capitalQuote);
    let held = 0;
    let next = 0;
    const applyFillsUntil = (time: number, onFill?: (price: number, at: number) => void) => {
      for (; next < fills.length && fills[next]!.time <= time; next++) {
        const fill = fills[next]!;
        const qty = Number(fill.quantity);
        const price = Number(fill.price);
        const fee = Number(fill.fee);
        if (fill.side === 'buy') {
          cash -= qty * price;
          held += qty;
        } else {
          cash += qty * price;
          held -= qty;
        }
        if (fill.feeCurrency === base) held -= fee;
        else if (fill.feeCurrency === quote || fill.feeCurrency === null) cash -= fee;
        onFill?.(price, fill.time);
      }
    };

    // Bar closes: the runner fills a decision at the next bar's open, then marks at that bar's close.
    let markedUntil = -Infinity;
    for (const [time, , , , close] of candleRows ?? []) {
      if (time < startMs || lastBar === null || time > lastBar) continue;
      applyFillsUntil(time);
      byTime.set(time, { time, equity: cash + held * close, source: 'bar' });
      markedUntil = time;
    }
    // Beyond the candles: after each fill, and the bar closes seen live.
    applyFillsUntil(Infinity, (price, at) => {
      if (at > markedUntil && !byTime.has(at)) byTime.set(at, { time: at, equity: cash + held * price, source: 'fill' });
    });
    for (const [time, equity] of observed.get(deployment.id) ?? []) if (time > markedUntil) byTime.set(time, { time, equity, source: 'bar' });
    if (lastBar !== null) byTime.set(lastBar, { time: lastBar, equity: Number(deployment.equity), source: 'bar' });
    return [...byTime.values()].sort((a, b) => a.time - b.time);
  }, [deployment, detailData, candleRows, startMs, strategy.symbol]);

  return {
    points,
    isPending: orders.isPending || (feed.type !== 'simulated' && candles.isPending),
    isError: orders.isError || details.isError || candles.isError,
    refetch: () => {
      void orders.refetch();
      void candles.refetch();
    },
  };
}

const axis = { stroke: 'var(--muted)', fontSize: 11 };
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Axis ticks on round UTC times (feed time), about six across the span, and how to label them. */
function timeTicks(fromMs: number, toMs: number): { ticks: number[]; format: (ms: number) => string } {
  const span = Math.max(toMs - fromMs, 1);
  const step = [HOUR_MS, 3 * HOUR_MS, 6 * HOUR_MS, 12 * HOUR_MS, DAY_MS, 2 * DAY_MS, 7 * DAY_MS, 14 * DAY_MS, 30 * DAY_MS, 91 * DAY_MS, 365 * DAY_MS].find((s) => span / s <= 6) ?? 365 * DAY_MS;
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
  if (curve.isError) return <ErrorState message="Could not load the fills and candles behind the equity curve." retry={curve.refetch} />;
  if (curve.points.length < 2) {
    return (
      <div className={`flex ${height} items-center justify-center rounded-md border border-dashed border-border text-xs text-muted`} data-testid="deployment-equity-chart" data-points={curve.points.length}>
        The curve starts with the first processed bar.
      </div>
    );
  }
  const axisTicks = timeTicks(curve.points[0]!.time, curve.points[curve.points.length - 1]!.time);
  return (
    <div className={`${height} w-full`} data-testid="deployment-equity-chart" data-points={curve.points.length} role="img" aria-label={`Equity of ${deployment.strategyName ?? deployment.strategy.symbol}: ${amount(deployment.capitalQuote)} → ${amount(deployment.equity)} ${quote}`}>
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={curve.points} margin={{ top: 4, right: compact ? 2 : 8, bottom: 0, left: compact ? 2 : 0 }}>
          {compact ? null : <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" />}
          <XAxis dataKey="time" type="number" scale="time" domain={['dataMin', 'dataMax']} ticks={axisTicks.ticks} tickFormatter={axisTicks.format} hide={compact} {...axis} />
          <YAxis domain={['auto', 'auto']} hide={compact} width={72} tickFormatter={(v: number) => v.toLocaleString('en-US', { maximumFractionDigits: 0 })} {...axis} />
          {compact ? null : (
            <Tooltip
              labelFormatter={(v) => `${new Date(Number(v)).toISOString().slice(0, 16).replace('T', ' ')} UTC`}
              formatter={(v) => [`${Number(v).toLocaleString('en-US', { maximumFractionDigits: 2 })} ${quote}`, 'Equity']}
              contentStyle={{ background: 'var(--panel)', border: '1px solid var(--border)' }}
            />
          )}
          <Line type="linear" dataKey="equity" stroke="var(--accent)" dot={false} strokeWidth={1.5} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
