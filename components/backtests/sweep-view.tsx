'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ArrowDown, ArrowUp } from 'lucide-react';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useMemo, useState } from 'react';
import { PageHeader } from '@/components/shell/page-header';
import { strategyShortLabel, useDocumentTitle } from '@/components/shell/titles';
import { useTRPC } from '@/components/trpc/client';
import { useJobEventRefetch } from '@/components/trpc/use-job-events';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { ErrorState, Skeleton } from '@/components/ui/states';
import { formatDate, signTone } from '@/components/format';
import { formatMetric, METRIC_LABELS, type MetricKey } from './metrics';
import { ProgressBar } from './progress-bar';
import { StatusBadge } from './status-badge';
import { SweepHeatmap } from './sweep-heatmap';
import { SignificanceCard } from '@/components/robustness/significance-card';

const ACTIVE = new Set(['queued', 'running']);
const SELECT = 'h-8 rounded-md border border-border bg-panel-2 px-2 text-sm';
const TABLE_METRICS: MetricKey[] = ['totalReturnPct', 'sharpeRatio', 'maxDrawdownPct', 'tradeCount', 'winRatePct', 'profitFactor'];
/** What a phone shows of each run besides its parameters: the return; the rest from the sm breakpoint up. */
const secondary = (k: MetricKey) => (k === 'totalReturnPct' ? '' : 'hidden sm:table-cell');

/** A sweep: progress with cancel, then a heatmap of a chosen metric and a sortable table of every run. */
export function SweepView({ id }: { id: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const sweep = useQuery(trpc.backtests.sweeps.get.queryOptions({ id }));
  const loaded = sweep.data;
  useDocumentTitle(loaded ? ['Sweep', strategyShortLabel(loaded.strategyType, {}), `${loaded.symbol} ${loaded.timeframe}`] : null);
  // Live: its job's events (queued, progress per chunk, finished) refetch it while it is queued or running.
  useJobEventRefetch(!!sweep.data && ACTIVE.has(sweep.data.status), [trpc.backtests.sweeps.get.queryKey({ id })]);
  const cancel = useMutation(
    trpc.backtests.sweeps.cancel.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.backtests.pathKey() }) }),
  );
  const open = useMutation(trpc.backtests.create.mutationOptions({ onSuccess: (b) => router.push(`/backtests/${b.id}`) }));
  const [metric, setMetric] = useState<MetricKey>('totalReturnPct');
  const [axes, setAxes] = useState<{ x: string; y: string } | null>(null);
  const [sort, setSort] = useState<{ key: MetricKey; desc: boolean }>({ key: 'totalReturnPct', desc: true });

  const results = sweep.data?.results;
  const sorted = useMemo(() => {
    const rows = (results ?? []).map((r, index) => ({ ...r, index }));
    const value = (r: (typeof rows)[number]) => (r.metrics ? (r.metrics[sort.key] ?? Number.POSITIVE_INFINITY) : Number.NEGATIVE_INFINITY);
    return rows.sort((a, b) => (sort.desc ? value(b) - value(a) : value(a) - value(b)));
  }, [results, sort]);

  if (sweep.isPending)
    return (
      <div className="space-y-4">
        <Skeleton className="h-8 w-72" />
        <Skeleton className="h-64 w-full" />
      </div>
    );
  if (sweep.isError) return <ErrorState title={sweep.error.data?.code === 'NOT_FOUND' ? 'Sweep not found' : undefined} message={sweep.error.message} />;
  const s = sweep.data;
  const swept = s.sweptParams;
  const x = axes?.x ?? swept[0] ?? '';
  const y = axes?.y ?? swept[1] ?? swept[0] ?? '';
  const openAsBacktest = (params: Record<string, unknown>) =>
    open.mutate({ strategyId: s.strategyId, start: s.start, end: s.end, initialCapital: s.initialCapital, feeRate: s.feeRate, slippage: s.slippage, params });

  return (
    <>
      <PageHeader
        title="Parameter sweep"
        description={`${s.strategyType} · ${s.exchange} ${s.symbol} ${s.timeframe} · ${formatDate(s.start)} → ${formatDate(s.end)} UTC · ${s.combinationCount} runs${s.skippedCount ? ` (${s.skippedCount} skipped by parameter rules)` : ''}`}
        actions={
          <div className="flex items-center gap-2">
            <StatusBadge status={s.status} />
            <Button asChild variant="secondary" size="sm">
              <Link href={`/strategies/${s.strategyId}`}>Strategy</Link>
            </Button>
          </div>
        }
      />
      {ACTIVE.has(s.status) ? (
        <Card className="mb-6">
          <CardContent className="space-y-3">
            <ProgressBar value={s.progress} label={s.status === 'queued' ? 'Waiting for a worker…' : `Running ${s.combinationCount} combinations`} />
            <Button variant="danger" size="sm" onClick={() => cancel.mutate({ id })} disabled={cancel.isPending}>
              Cancel sweep
            </Button>
          </CardContent>
        </Card>
      ) : null}
      {s.status === 'failed' ? <ErrorState title="The sweep failed" message={s.error ?? undefined} /> : null}
      {s.status === 'canceled' ? <p className="text-sm text-muted">This sweep was canceled.</p> : null}
      {open.error ? <ErrorState message={open.error.message} /> : null}
      {s.status === 'completed' ? (
        <div className="space-y-6">
          <SignificanceCard subject={{ kind: 'deflated-sharpe', sweepId: s.id }} />
          <Card>
            <CardHeader>
              <CardTitle>Heatmap</CardTitle>
            </CardHeader>
            <CardContent className="space-y-3">
              <div className="flex flex-wrap gap-3 text-sm">
                <label className="flex items-center gap-2">
                  Metric
                  <select className={SELECT} value={metric} onChange={(e) => setMetric(e.target.value as MetricKey)}>
                    {(Object.keys(METRIC_LABELS) as MetricKey[]).map((k) => (
                      <option key={k} value={k}>
                        {METRIC_LABELS[k]}
                      </option>
                    ))}
                  </select>
                </label>
                <label className="flex items-center gap-2">
                  X
                  <select className={SELECT} value={x} onChange={(e) => setAxes({ x: e.target.value, y })}>
                    {swept.map((p) => (
                      <option key={p}>{p}</option>
                    ))}
                  </select>
                </label>
                <label className="flex items-center gap-2">
                  Y
                  <select className={SELECT} value={y} onChange={(e) => setAxes({ x, y: e.target.value })}>
                    {swept.map((p) => (
                      <option key={p}>{p}</option>
                    ))}
                  </select>
                </label>
              </div>
              <SweepHeatmap runs={s.results} x={x} y={y} metric={metric} onPick={openAsBacktest} />
              <p className="text-xs text-muted">Click a cell to open that run as a full backtest.</p>
            </CardContent>
          </Card>
          <Card>
            <CardHeader>
              <CardTitle>Every run</CardTitle>
            </CardHeader>
            <CardContent className="relative overflow-x-auto">
              <table className="w-full text-sm" aria-label="Sweep runs">
                <thead className="text-xs text-muted">
                  <tr>
                    {swept.map((p) => (
                      <th key={p} className="p-2 text-right">
                        {p}
                      </th>
                    ))}
                    {TABLE_METRICS.map((k) => (
                      <th key={k} className={`p-2 text-right ${secondary(k)}`} aria-sort={sort.key === k ? (sort.desc ? 'descending' : 'ascending') : 'none'}>
                        <button
                          type="button"
                          className="inline-flex items-center gap-1 hover:text-fg"
                          onClick={() => setSort({ key: k, desc: sort.key === k ? !sort.desc : true })}
                        >
                          {METRIC_LABELS[k]}
                          {sort.key === k ? sort.desc ? <ArrowDown className="h-3 w-3" aria-hidden /> : <ArrowUp className="h-3 w-3" aria-hidden /> : null}
                        </button>
                      </th>
                    ))}
                    <th className="p-2">
                      <span className="sr-only">Open</span>
                    </th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-border">
                  {sorted.map((r) => (
                    <tr key={r.index} data-testid="sweep-row">
                      {swept.map((p) => (
                        <td key={p} className="num p-2 text-right">
                          {String(r.params[p])}
                        </td>
                      ))}
                      {r.metrics ? (
                        TABLE_METRICS.map((k) => (
                          <td
                            key={k}
                            className={`num whitespace-nowrap p-2 text-right ${k === 'totalReturnPct' ? signTone(r.metrics!.totalReturnPct) : secondary(k)}`}
                          >
                            {formatMetric(k, r.metrics!)}
                          </td>
                        ))
                      ) : (
                        <td colSpan={TABLE_METRICS.length} className="p-2 text-loss">
                          {r.error}
                        </td>
                      )}
                      <td className="p-2 text-right">
                        <Button variant="ghost" size="sm" onClick={() => openAsBacktest(r.params)} disabled={open.isPending}>
                          Open as backtest
                        </Button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </CardContent>
          </Card>
        </div>
      ) : null}
    </>
  );
}
