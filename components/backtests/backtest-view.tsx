'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
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
import { PriceChart, type PriceChartFocus } from '@/components/charts/price-chart';
import { firstWindowRequest } from '@/components/charts/window-plan';
import type { ChartWindowRequest } from '@/server/api/schemas/backtests';
import { MetricCards } from './metric-cards';
import { PairEquityChart, PairTable } from './pair-breakdown';
import { ProgressBar } from './progress-bar';
import { StatusBadge } from './status-badge';
import { TradesTable } from './trades-table';
import { MonteCarloPanel } from '@/components/robustness/monte-carlo-panel';
import { SignificanceCard } from '@/components/robustness/significance-card';
import { ScriptOutput } from '@/components/scripts/script-output';

const ACTIVE = new Set(['queued', 'running']);

/** A backtest: progress with cancel while it runs, then metrics, charts and trades. */
export function BacktestView({ id }: { id: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const backtest = useQuery(trpc.backtests.get.queryOptions({ id }));
  const loaded = backtest.data;
  useDocumentTitle(loaded ? ['Backtest', strategyShortLabel(loaded.strategyType, loaded.params), `${marketLabel(loaded)} ${loaded.timeframe}`] : null);
  // Live: its job's events (queued, progress, finished) refetch it while it is queued or running.
  useJobEventRefetch(!!backtest.data && ACTIVE.has(backtest.data.status), [trpc.backtests.get.queryKey({ id })]);
  const completed = backtest.data?.status === 'completed';
  // A finished run changes its strategy (a completed backtest makes a draft "backtested"), so cached
  // strategy data is stale from that moment.
  const status = backtest.data?.status;
  useEffect(() => {
    if (status && !ACTIVE.has(status)) void queryClient.invalidateQueries({ queryKey: trpc.strategies.pathKey() });
  }, [status, queryClient, trpc]);
  const chart = useQuery({ ...trpc.backtests.equity.queryOptions({ id }), enabled: completed });
  // The price chart's first window (the whole run) is asked for beside the backtest itself, before its status is known,
  // with completedOnly: the server refuses it for a run still going, so a window without trades is never kept. The chart
  // mounts once the run completed and finds it cached (a year of 1-minute bars: the backtest's trades take a while).
  const firstWindow = useMemo(() => ({ id, ...firstWindowRequest(typeof window === 'undefined' ? 1_280 : window.innerWidth), completedOnly: true }), [id]);
  useEffect(() => {
    queryClient.fetchQuery({ ...trpc.backtests.chart.queryOptions(firstWindow), staleTime: 60_000 }).catch(() => {}); // not completed: the chart asks later
  }, [queryClient, trpc, firstWindow]);
  const loadWindow = useCallback(
    (request: ChartWindowRequest) =>
      queryClient.fetchQuery({
        ...trpc.backtests.chart.queryOptions(
          request.from === undefined && request.to === undefined && request.maxBars === firstWindow.maxBars ? firstWindow : { id, ...request },
        ),
        staleTime: 60_000,
      }),
    [queryClient, trpc, id, firstWindow],
  );
  const [focus, setFocus] = useState<PriceChartFocus | null>(null);
  const priceCard = useRef<HTMLDivElement>(null);
  const [tab, setTab] = useState<'results' | 'robustness'>('results');
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
        description={`${b.strategyType} · ${b.exchange} ${marketLabel(b)} ${b.timeframe} · ${formatDate(b.start)} → ${formatDate(b.end)} UTC · capital ${formatMoney(b.initialCapital)} · fee ${formatPercent(Number(b.feeRate) * 100, { decimals: 3 })} · slippage ${formatPercent(Number(b.slippage) * 100, { decimals: 3 })}`}
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
      {b.status === 'failed' ? (
        <div className="space-y-6">
          <ErrorState title="The backtest failed" message={b.error ?? undefined} />
          {b.scriptLog ? <ScriptOutput log={b.scriptLog} description="What the script printed before it failed." /> : null}
        </div>
      ) : null}
      {b.status === 'canceled' ? <p className="text-sm text-muted">This backtest was canceled.</p> : null}
      {completed && b.metrics ? (
        <div role="tablist" aria-label="Backtest views" className="mb-4 flex gap-1 border-b border-border">
          {(['results', 'robustness'] as const).map((name) => (
            <button
              key={name}
              type="button"
              role="tab"
              aria-selected={tab === name}
              onClick={() => setTab(name)}
              className={`-mb-px border-b-2 px-3 py-2 text-sm ${tab === name ? 'border-accent text-fg' : 'border-transparent text-muted hover:text-fg'}`}
            >
              {name === 'results' ? 'Results' : 'Robustness'}
            </button>
          ))}
        </div>
      ) : null}
      {completed && b.metrics && tab === 'robustness' ? (
        <div className="space-y-6">
          <MonteCarloPanel backtestId={b.id} tradeCount={b.metrics.tradeCount} />
          {b.metrics.tradeCount > 0 && !b.symbols ? <SignificanceCard subject={{ kind: 'permutation', backtestId: b.id }} /> : null}
        </div>
      ) : null}
      {completed && b.metrics && tab === 'results' ? (
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
          {b.symbols ? (
            <>
              <Card>
                <CardHeader>
                  <CardTitle>Pairs</CardTitle>
                </CardHeader>
                <CardContent className="space-y-2">
                  <p className="text-xs text-muted">
                    {b.symbols.length} pairs · {capitalLabel(b.capital)} · contribution = the pair&apos;s P&amp;L as a share of the initial capital
                  </p>
                  <PairTable pairs={b.pairs ?? []} />
                </CardContent>
              </Card>
              <Card>
                <CardHeader>
                  <CardTitle>Equity per pair</CardTitle>
                </CardHeader>
                <CardContent>
                  {chart.data ? (
                    <PairEquityChart time={chart.data.time} symbols={b.symbols} pairEquity={chart.data.pairEquity} />
                  ) : chart.isError ? (
                    <ErrorState message="Could not load the chart." />
                  ) : (
                    <Skeleton className="h-64 w-full" />
                  )}
                </CardContent>
              </Card>
            </>
          ) : (
            <div ref={priceCard}>
              <Card>
                <CardHeader>
                  <CardTitle>Price, indicators and trades</CardTitle>
                </CardHeader>
                <CardContent>
                  <PriceChart
                    loadWindow={loadWindow}
                    priceTick={b.priceTick}
                    amountStep={b.amountStep}
                    focus={focus}
                    label={`${b.symbol} ${b.timeframe}, ${b.strategyType}`}
                  />
                </CardContent>
              </Card>
            </div>
          )}
          <Card>
            <CardHeader>
              <CardTitle>Trades</CardTitle>
            </CardHeader>
            <CardContent>
              <TradesTable
                trades={b.trades}
                fileName={`backtest-${b.id}-trades.csv`}
                // A pair list's pairs have their own ticks: the first pair's would misround the others.
                precision={b.symbols ? undefined : { priceTick: b.priceTick, amountStep: b.amountStep }}
                showSymbol={!!b.symbols}
                onSelect={
                  b.symbols
                    ? undefined
                    : (trade) => {
                        setFocus({ from: Date.parse(trade.entryTime), to: Date.parse(trade.exitTime) });
                        priceCard.current?.scrollIntoView({ block: 'center' });
                      }
                }
              />
            </CardContent>
          </Card>
          {b.scriptLog ? <ScriptOutput log={b.scriptLog} /> : null}
        </div>
      ) : null}
    </>
  );
}

/** The market a backtest ran on: its symbol, or the size and head of its pair list. */
function marketLabel(b: { symbol: string; symbols: string[] | null }): string {
  if (!b.symbols) return b.symbol;
  return `${b.symbols.length} pairs (${b.symbols.slice(0, 3).join(', ')}${b.symbols.length > 3 ? ', …' : ''})`;
}

function capitalLabel(capital: { maxOpenPositions: number; stake: { type: string; pct?: number; quote?: number } } | null): string {
  if (!capital) return '';
  const { stake } = capital;
  const stakeText =
    stake.type === 'pct_equity'
      ? `stake ${formatPercent(stake.pct ?? 0)} of equity`
      : stake.type === 'fixed'
        ? `stake ${formatMoney(stake.quote ?? 0)}`
        : 'equity split equally over the slots';
  return `at most ${capital.maxOpenPositions} open · ${stakeText}`;
}
