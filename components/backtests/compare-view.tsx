'use client';

import { useQueries } from '@tanstack/react-query';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useTRPC } from '@/components/trpc/client';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { EmptyState, ErrorState, Skeleton } from '@/components/ui/states';
import { arrow, formatAxisTime, formatDate, formatPercent, signTone } from '@/components/format';
import { formatMetric, METRIC_LABELS, type MetricKey } from './metrics';

const COLOURS = ['var(--accent)', 'var(--gain)', 'var(--warn)', 'var(--loss)', 'var(--fg)'];

/** Two or more completed backtests side by side: metrics table and equity curves as % of initial capital. */
export function CompareView({ ids }: { ids: string[] }) {
  const trpc = useTRPC();
  const details = useQueries({ queries: ids.map((id) => trpc.backtests.get.queryOptions({ id })) });
  const charts = useQueries({ queries: ids.map((id) => trpc.backtests.equity.queryOptions({ id })) });
  if (ids.length < 2) return <EmptyState title="Pick two or more backtests">Select completed backtests in the list and press Compare.</EmptyState>;
  if (details.some((d) => d.isPending)) return <Skeleton className="h-64 w-full" />;
  const failed = details.find((d) => d.isError);
  if (failed) return <ErrorState message={failed.error?.message} />;
  const runs = details.map((d) => d.data!);
  const series = runs.map((b, k) => {
    const chart = charts[k]?.data;
    return chart ? chart.time.map((t, i) => ({ time: t, value: (chart.equity[i]! / Number(b.initialCapital) - 1) * 100 })) : [];
  });
  return (
    <div className="space-y-6">
      <div className="relative overflow-x-auto rounded-lg border border-border bg-panel">
        <table className="w-full text-sm" aria-label="Comparison">
          <thead className="text-xs text-muted">
            <tr>
              <th className="p-2 text-left">Metric</th>
              {runs.map((b, k) => (
                <th key={b.id} className="p-2 text-right" style={{ color: COLOURS[k % COLOURS.length] }}>
                  {b.strategyType} {b.symbol} {b.timeframe}
                  <div className="font-normal text-muted">
                    {formatDate(b.start)} → {formatDate(b.end)} UTC
                  </div>
                </th>
              ))}
            </tr>
          </thead>
          <tbody className="divide-y divide-border">
            {(Object.keys(METRIC_LABELS) as MetricKey[]).map((key) => (
              <tr key={key}>
                <th scope="row" className="p-2 text-left font-normal text-muted">
                  {METRIC_LABELS[key]}
                </th>
                {runs.map((b) => {
                  const v = b.metrics?.[key];
                  const isSignedPct = key === 'totalReturnPct' || key === 'cagrPct' || key === 'averageTradePct' || key === 'buyAndHoldReturnPct';
                  return (
                    <td key={b.id} className={`num p-2 text-right ${isSignedPct && typeof v === 'number' ? signTone(v) : ''}`}>
                      {b.metrics ? `${isSignedPct && typeof v === 'number' ? arrow(v) : ''}${formatMetric(key, b.metrics)}` : '—'}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Card>
        <CardHeader>
          <CardTitle>Equity (% of initial capital)</CardTitle>
        </CardHeader>
        <CardContent className="h-72">
          <ResponsiveContainer width="100%" height="100%">
            <LineChart margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
              <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" />
              <XAxis
                dataKey="time"
                type="number"
                scale="time"
                domain={['dataMin', 'dataMax']}
                tickFormatter={(v: number) => formatAxisTime(v, 'UTC', true)}
                stroke="var(--muted)"
                fontSize={11}
                allowDuplicatedCategory={false}
              />
              <YAxis stroke="var(--muted)" fontSize={11} width={56} tickFormatter={(v: number) => formatPercent(v, { decimals: 0 })} />
              <Tooltip
                labelFormatter={(v) => formatDate(Number(v))}
                formatter={(v) => formatPercent(Number(v), { signed: true })}
                contentStyle={{ background: 'var(--panel)', border: '1px solid var(--border)' }}
              />
              <Legend />
              {runs.map((b, k) => (
                <Line
                  key={b.id}
                  data={series[k]}
                  dataKey="value"
                  name={`${b.strategyType} #${k + 1}`}
                  stroke={COLOURS[k % COLOURS.length]}
                  dot={false}
                  isAnimationActive={false}
                />
              ))}
            </LineChart>
          </ResponsiveContainer>
        </CardContent>
      </Card>
    </div>
  );
}
