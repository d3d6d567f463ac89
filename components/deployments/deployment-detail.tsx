'use client';

import { useQuery } from '@tanstack/react-query';
import Decimal from 'decimal.js';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { StatusBadge } from '@/components/backtests/status-badge';
import { OrderList } from '@/components/orders/order-list';
import { PageHeader } from '@/components/shell/page-header';
import { useDocumentTitle } from '@/components/shell/titles';
import { useTRPC } from '@/components/trpc/client';
import { useLiveEvents } from '@/components/trpc/use-live-events';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { ScriptOutput } from '@/components/scripts/script-output';
import { ErrorState, Skeleton } from '@/components/ui/states';
import type { DeploymentResponse } from '@/server/api/schemas/deployments';
import { AlertList } from './alert-list';
import { DeploymentControls } from './deployment-controls';
import { DeploymentEquityChart } from './deployment-equity';
import { DeploymentPriceChart } from './deployment-price-chart';
import {
  formatDateTime,
  formatDateTimeSeconds,
  formatFractionAsPercent,
  formatMoney,
  formatPercent,
  formatPnl,
  formatPrice,
  formatQuantity,
  isZero,
  signTone,
} from '@/components/format';
import { useTimeZone } from '@/components/format/time-zone';
import { feedLabel } from './feed-label';
import { LiveIndicator } from './live-indicator';
import { SignalWebhook } from './signal-webhook';

function Row({ label, children, testId, title }: { label: string; children: ReactNode; testId?: string; title?: string }) {
  return (
    <>
      <dt className="text-muted">{label}</dt>
      <dd className="num text-right" data-testid={testId} title={title}>
        {children}
      </dd>
    </>
  );
}

/** Unrealized P&L of the open position, for display: equity − cash − quantity × entry price (equity marks the position at the last close). */
function unrealized(d: DeploymentResponse): string | null {
  if (d.strategy.symbols) {
    // A pair list: equity − cash − Σ quantity × entry price over the held pairs.
    const held = d.positions.filter((p) => !isZero(p.quantity) && p.entryPrice !== null);
    if (held.length === 0) return null;
    return held.reduce((sum, p) => sum.minus(new Decimal(p.quantity).mul(p.entryPrice!)), new Decimal(d.equity).minus(d.cash)).toString();
  }
  if (isZero(d.position.quantity) || d.position.entryPrice === null) return null;
  return new Decimal(d.equity).minus(d.cash).minus(new Decimal(d.position.quantity).mul(d.position.entryPrice)).toString();
}

/** Drawdown from the equity peak, in %, for display. */
function drawdownPct(d: DeploymentResponse): string {
  const peak = new Decimal(d.equityPeak);
  if (peak.lte(0)) return '—';
  return formatPercent(peak.minus(d.equity).div(peak).mul(100).toString());
}

/** One deployment: state and controls, feed, last decision, position and P&L, its equity curve, orders and alerts — live. */
export function DeploymentDetail({ id }: { id: string }) {
  const trpc = useTRPC();
  const live = useLiveEvents();
  const zone = useTimeZone();
  const deployment = useQuery(trpc.deployments.get.queryOptions({ id }));
  const loaded = deployment.data;
  useDocumentTitle(loaded ? ['Deployment', loaded.strategyName ?? loaded.strategy.type, `${loaded.strategy.symbol} ${loaded.strategy.timeframe}`] : null);

  if (deployment.isPending) {
    return (
      <div className="space-y-4" aria-busy="true">
        <Skeleton className="h-8 w-64" />
        <div className="grid gap-6 lg:grid-cols-2">
          <Skeleton className="h-64 w-full" />
          <Skeleton className="h-64 w-full" />
        </div>
      </div>
    );
  }
  if (deployment.isError) {
    return (
      <ErrorState
        title={deployment.error.data?.code === 'NOT_FOUND' ? 'Deployment not found' : 'Could not load the deployment'}
        message={deployment.error.message}
        retry={deployment.error.data?.code === 'NOT_FOUND' ? undefined : () => void deployment.refetch()}
      />
    );
  }
  const d = deployment.data;
  const [base, quote] = d.strategy.symbol.split('/');
  const open = unrealized(d);
  const limits = d.riskLimits;

  return (
    <>
      <PageHeader
        title={d.strategyName ?? 'Deployment'}
        description={`${d.strategy.type} · ${d.strategy.exchange} ${d.strategy.symbol} ${d.strategy.timeframe} · ${d.accountName ?? 'account'}`}
        actions={
          <div className="flex flex-wrap items-center gap-3">
            <LiveIndicator status={live} />
            <span data-testid="deployment-state" data-state={d.state}>
              <StatusBadge status={d.state} className="text-sm" />
            </span>
            <StatusBadge status={d.mode} className="text-sm" />
            <DeploymentControls deployment={d} size="md" />
          </div>
        }
      />
      {d.stateReason ? (
        <p className="mb-4 rounded-md bg-panel-2 px-3 py-2 text-sm" data-testid="deployment-state-reason">
          {d.state}: {d.stateReason}
        </p>
      ) : null}
      <div className="grid gap-6 lg:grid-cols-2">
        <Card>
          <CardHeader>
            <CardTitle>Feed and decisions</CardTitle>
          </CardHeader>
          <CardContent>
            <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1.5 text-sm">
              <Row label="Strategy">
                <Link className="text-accent hover:underline" href={`/strategies/${d.strategyId}`}>
                  {d.strategyName ?? d.strategyId.slice(0, 8)}
                </Link>
              </Row>
              <Row label="Feed" testId="deployment-feed">
                {feedLabel(d.feed)}
              </Row>
              {d.feed.start ? <Row label="Feed start">{formatDateTime(d.feed.start)}</Row> : null}
              <Row label="Feed time" testId="deployment-feed-time">
                {formatDateTime(d.feedTime)}
              </Row>
              <Row label="Last bar">{formatDateTime(d.lastBarTime)}</Row>
              <Row label="Last decision" testId="deployment-last-decision">
                {d.lastDecision ? (
                  <>
                    <span className="font-medium">{d.lastDecision.decision}</span>{' '}
                    <span className="text-xs text-muted">at {formatDateTimeSeconds(d.lastDecision.at, zone)}</span>
                    {d.lastDecision.note ? <span className="block text-xs text-muted">{d.lastDecision.note}</span> : null}
                  </>
                ) : (
                  'no bar processed yet'
                )}
              </Row>
              <Row label="Worker">{d.worker ?? (d.state === 'running' ? 'waiting for a worker' : '—')}</Row>
              <Row label="Started">{formatDateTimeSeconds(d.createdAt, zone)}</Row>
              {d.endedAt ? <Row label="Ended">{formatDateTimeSeconds(d.endedAt, zone)}</Row> : null}
            </dl>
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>Position and P&amp;L</CardTitle>
          </CardHeader>
          <CardContent>
            <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1.5 text-sm">
              <Row label="Position" testId="deployment-position">
                {d.strategy.symbols
                  ? `${d.positions.filter((p) => !isZero(p.quantity)).length} of ${d.strategy.capital?.maxOpenPositions ?? d.strategy.symbols.length} slots held`
                  : isZero(d.position.quantity)
                    ? 'flat'
                    : `${formatQuantity(d.position.quantity, { step: d.amountStep })} ${base}`}
              </Row>
              {d.position.entryPrice ? (
                <Row label="Entry price" title={d.position.entryPrice}>
                  {formatPrice(d.position.entryPrice, { priceTick: d.priceTick })} {quote}
                </Row>
              ) : null}
              {d.position.entryTime ? <Row label="Entry bar">{formatDateTime(d.position.entryTime)}</Row> : null}
              <Row label="Cash" title={d.cash}>
                {formatMoney(d.cash)} {quote}
              </Row>
              <Row label="Equity" testId="deployment-equity" title={d.equity}>
                {formatMoney(d.equity)} {quote}
              </Row>
              <Row label="Equity peak" title={d.equityPeak}>
                {formatMoney(d.equityPeak)} {quote}
              </Row>
              <Row label="Drawdown from peak">{drawdownPct(d)}</Row>
              <Row label="Realized P&L" testId="deployment-realized" title={d.realizedPnl}>
                <span className={signTone(d.realizedPnl)}>
                  {formatPnl(d.realizedPnl)} {quote}
                </span>
              </Row>
              <Row label="Unrealized P&L" title={open ?? undefined}>
                <span className={signTone(open)}>{open === null ? '—' : `${formatPnl(open)} ${quote}`}</span>
              </Row>
              <Row label="Closed trades" testId="deployment-trades">
                {d.closedTrades}
              </Row>
              <Row label="Capital" title={d.capitalQuote}>
                {formatMoney(d.capitalQuote)} {quote}
              </Row>
              <Row label="Max position">{d.maxPositionQuote ? `${formatMoney(d.maxPositionQuote)} ${quote}` : 'none'}</Row>
              <Row label="Risk limits">
                {[
                  limits.maxOrderNotional ? `order ≤ ${formatMoney(limits.maxOrderNotional)} ${quote}` : null,
                  limits.dailyLossLimitQuote ? `daily loss ≤ ${formatMoney(limits.dailyLossLimitQuote)} ${quote}` : null,
                  limits.maxDrawdownFraction ? `drawdown ≤ ${formatFractionAsPercent(limits.maxDrawdownFraction)}` : null,
                ]
                  .filter(Boolean)
                  .join(' · ') || 'none'}
              </Row>
            </dl>
          </CardContent>
        </Card>
        {d.strategy.symbols ? <PairPositions deployment={d} quote={quote ?? ''} /> : null}
        {d.strategy.type === 'signal' ? (
          <Card className="min-w-0 lg:col-span-2" data-testid="signal-webhook">
            <CardHeader>
              <CardTitle>Signals</CardTitle>
              <p className="text-xs text-muted">This deployment trades on signals sent to its webhook (TradingView alerts or any HTTP client).</p>
            </CardHeader>
            <CardContent>
              <SignalWebhook deployment={d} />
            </CardContent>
          </Card>
        ) : null}
        {d.strategy.type.startsWith('script:') ? (
          <ScriptOutput
            className="min-w-0 lg:col-span-2"
            log={d.scriptLog ?? { lines: [], dropped: 0 }}
            droppedAre="earlier"
            description="The latest lines its decisions printed, oldest first (up to 200)."
          />
        ) : null}
        <Card className="min-w-0 lg:col-span-2" data-testid="deployment-price-chart">
          <CardHeader>
            <CardTitle>Price chart</CardTitle>
            <p className="text-xs text-muted">The bars the strategy processed, its indicators on them and its fills.</p>
          </CardHeader>
          <CardContent>
            <DeploymentPriceChart deployment={d} />
          </CardContent>
        </Card>
        <Card className="lg:col-span-2">
          <CardHeader>
            <CardTitle>Equity</CardTitle>
            <p className="text-xs text-muted">In feed time: cash + position × close at each bar, replayed from its fills over the market's stored candles.</p>
          </CardHeader>
          <CardContent>
            <DeploymentEquityChart deployment={d} />
          </CardContent>
        </Card>
        <Card className="min-w-0 lg:col-span-2">
          <CardHeader className="flex-row flex-wrap items-center justify-between gap-2">
            <CardTitle>Orders</CardTitle>
            <Link className="text-xs text-accent hover:underline" href={`/orders?deploymentId=${d.id}`}>
              On the Orders page
            </Link>
          </CardHeader>
          <CardContent>
            <OrderList
              filters={{ deploymentId: d.id, limit: 500 }}
              empty="The deployment has placed no order yet: orders appear as the strategy enters and exits."
            />
          </CardContent>
        </Card>
        <Card className="lg:col-span-2">
          <CardHeader>
            <CardTitle>Alerts</CardTitle>
          </CardHeader>
          <CardContent>
            <AlertList deploymentId={d.id} />
          </CardContent>
        </Card>
      </div>
    </>
  );
}

/** A pair list's positions, one row per pair in list order (the list's priority). */
function PairPositions({ deployment: d, quote }: { deployment: DeploymentResponse; quote: string }) {
  return (
    <Card className="min-w-0 lg:col-span-2" data-testid="deployment-pairs">
      <CardHeader>
        <CardTitle>Positions per pair</CardTitle>
        <p className="text-xs text-muted">
          {d.positions.length} pairs sharing {formatMoney(d.capitalQuote)} {quote}; at most {d.strategy.capital?.maxOpenPositions ?? d.positions.length} held at
          once.
        </p>
      </CardHeader>
      <CardContent className="overflow-x-auto">
        <table className="w-full min-w-[32rem] text-sm">
          <thead className="text-xs text-muted">
            <tr>
              <th className="py-1 text-left font-normal">Pair</th>
              <th className="py-1 text-right font-normal">Position</th>
              <th className="py-1 text-right font-normal">Entry price</th>
              <th className="py-1 text-right font-normal">Last close</th>
              <th className="py-1 text-right font-normal">Trades</th>
              <th className="py-1 text-right font-normal">Realized P&amp;L</th>
            </tr>
          </thead>
          <tbody>
            {d.positions.map((p) => (
              <tr key={p.symbol} className="border-t border-border" data-testid="deployment-pair-row">
                <td className="py-1">{p.symbol}</td>
                <td className="num py-1 text-right" title={p.quantity}>
                  {isZero(p.quantity) ? 'flat' : `${formatQuantity(p.quantity)} ${p.symbol.split('/')[0]}`}
                </td>
                <td className="num py-1 text-right">{p.entryPrice === null ? '—' : formatPrice(p.entryPrice)}</td>
                <td className="num py-1 text-right">{p.lastClose === null ? '—' : formatPrice(p.lastClose)}</td>
                <td className="num py-1 text-right">{p.closedTrades}</td>
                <td className={`num py-1 text-right ${signTone(p.realizedPnl)}`} title={p.realizedPnl}>
                  {formatPnl(p.realizedPnl)} {quote}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </CardContent>
    </Card>
  );
}
