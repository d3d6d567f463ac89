'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import Link from 'next/link';
import { PageHeader } from '@/components/shell/page-header';
import { strategyShortLabel, useDocumentTitle } from '@/components/shell/titles';
import { useTRPC } from '@/components/trpc/client';
import { useJobEventRefetch } from '@/components/trpc/use-job-events';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { ErrorState, Skeleton } from '@/components/ui/states';
import { EquityChart } from './equity-chart';
import { formatDate, formatMoney, formatPercent } from '@/components/format';
import { MetricCards } from './metric-cards';
import { PriceChart } from './price-chart';
import { ProgressBar } from './progress-bar';
import { StatusBadge } from './status-badge';
import { TradesTable } from './trades-table';

const ACTIVE = new Set(['queued', 'running']);

/** A backtest: progress with cancel while it runs, then metrics, charts and trades. */
export function BacktestView({ id }: { id: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const backtest = useQuery(trpc.backtests.get.queryOptions({ id }));
  const loaded = backtest.data;
  useDocumentTitle(loaded ? ['Backtest', strategyShortLabel(loaded.strategyType, loaded.params), `${loaded.symbol} ${loaded.timeframe}`] : null);
  // Live: its job's events (queued, progress, finished) refetch it while it is queued or running.
  useJobEventRefetch(!!backtest.data && ACTIVE.has(backtest.data.status), [trpc.backtests.get.queryKey({ id })]);
  const completed = backtest.data?.status === 'completed';
  // A finished run changes its strategy (a completed backtest makes a draft "backtested"), so cached
  // strategy data is stale from that moment.
  const status = backtest.data?.status;
  useEffect(() => {
    if (status && !ACTIVE.has(status)) void queryClient.invalidateQueries({ queryKey: trpc.strategies.pathKey() });
  }, [status, queryClient, trpc]);
  const chart = useQuery({ ...trpc.backtests.chart.queryOptions({ id }), enabled: completed });
  const cancel = useMutation(trpc.backtests.cancel.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.backtests.pathKey() }) }));

  if (backtest.isPending)
    return (
      <div className="space-y-4">
        <Skeleton className="h-8 w-72" />
        <Skeleton className="h-24 w-full" />
        <Skeleton className="h-72 w-full" />
      </div>
    );
  if (backtest.isError)
    return <ErrorState title={backtest.error.data?.code === 'NOT_FOUND' ? 'Backtest not found' : undefined} message={backtest.error.message} />;
  const b = backtest.data;

  return (
    <>
      <PageHeader
        title="Backtest"
        description={`${b.strategyType} · ${b.exchange} ${b.symbol} ${b.timeframe} · ${formatDate(b.start)} → ${formatDate(b.end)} UTC · capital ${formatMoney(b.initialCapital)} · fee ${formatPercent(Number(b.feeRate) * 100, { decimals: 3 })} · slippage ${formatPercent(Number(b.slippage) * 100, { decimals: 3 })}`}
        actions={
          <div className="flex items-center gap-2">
            <StatusBadge status={b.status} />
            <Button asChild variant="secondary" size="sm">
              <Link href={`/strategies/${b.strategyId}`}>Strategy</Link>
            </Button>
          </div>
        }
      />
      {ACTIVE.has(b.status) ? (
        <Card className="mb-6">
          <CardContent className="space-y-3">
            <ProgressBar value={b.progress} label={b.status === 'queued' ? 'Waiting for a worker…' : 'Running'} />
            <Button variant="danger" size="sm" onClick={() => cancel.mutate({ id })} disabled={cancel.isPending}>
              Cancel backtest
            </Button>
            {cancel.error ? <ErrorState message={cancel.error.message} /> : null}
          </CardContent>
        </Card>
      ) : null}
      {b.status === 'failed' ? <ErrorState title="The backtest failed" message={b.error ?? undefined} /> : null}
      {b.status === 'canceled' ? <p className="text-sm text-muted">This backtest was canceled.</p> : null}
      {completed && b.metrics ? (
        <div className="space-y-6">
          <MetricCards metrics={b.metrics} />
          <p className="text-xs text-muted">
            {b.barCount} bars · engine v{b.engineVersion} · params{' '}
            {Object.entries(b.params)
              .filter(([, v]) => v !== null)
              .map(([k, v]) => `${k}=${String(v)}`)
              .join(', ')}
          </p>
          <Card>
            <CardHeader>
              <CardTitle>Equity and drawdown</CardTitle>
            </CardHeader>
            <CardContent>
              {chart.data ? (
                <EquityChart time={chart.data.time} equity={chart.data.equity} drawdownPct={chart.data.drawdownPct} />
              ) : chart.isError ? (
                <ErrorState message="Could not load the chart." />
              ) : (
                <Skeleton className="h-80 w-full" />
              )}
            </CardContent>
          </Card>
          <Card>
            <CardHeader>
              <CardTitle>Price and trades</CardTitle>
            </CardHeader>
            <CardContent>
              {chart.data ? (
                <PriceChart time={chart.data.time} close={chart.data.close} trades={b.trades} priceTick={b.priceTick} />
              ) : (
                <Skeleton className="h-72 w-full" />
              )}
            </CardContent>
          </Card>
          <Card>
            <CardHeader>
              <CardTitle>Trades</CardTitle>
            </CardHeader>
            <CardContent>
              <TradesTable trades={b.trades} fileName={`backtest-${b.id}-trades.csv`} precision={{ priceTick: b.priceTick, amountStep: b.amountStep }} />
            </CardContent>
          </Card>
        </div>
      ) : null}
    </>
  );
}
