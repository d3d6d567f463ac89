'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { formatMoney, formatPnl, formatPrice, formatQuantity, signTone } from '@/components/format';
import { MarkLabel } from '@/components/market-data/mark-label';
import { useTRPC } from '@/components/trpc/client';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { cn } from '@/components/ui/cn';
import { EmptyState, ErrorState, Skeleton, SkeletonRows } from '@/components/ui/states';

function Stat({
  label,
  value,
  unit,
  testId,
  tone,
  hint,
  title,
  basis,
}: {
  label: string;
  value: string;
  unit: string;
  testId: string;
  tone?: string;
  hint?: string;
  title?: string;
  basis?: string;
}) {
  return (
    <Card>
      <CardContent className="space-y-1">
        <p className="text-xs text-muted">{label}</p>
        <p className={cn('num text-lg font-semibold sm:text-xl', tone)} data-testid={testId} title={title}>
          {value} <span className="text-xs font-normal text-muted">{unit}</span>
        </p>
        {hint ? (
          <p className="text-xs text-muted" data-testid={`${testId}-hint`} data-basis={basis}>
            {hint}
          </p>
        ) : null}
      </CardContent>
    </Card>
  );
}

/**
 * What "P&L today" measures (docs/portfolio.md). Always the wall clock's day: a replay's fills carry its feed's
 * (past) times, but count on the day they were booked.
 */
function pnlTodayHint(basis: 'snapshot' | 'fills' | 'mixed' | null): string {
  if (basis === null) return 'Unknown: no price at 00:00 UTC for a position held overnight';
  const clock = 'since 00:00 UTC, wall clock (replayed fills count when booked)';
  if (basis === 'snapshot') return `Equity change ${clock}`;
  if (basis === 'fills') return `Fills and price moves ${clock}`;
  return `Equity change or fills and price moves, by account, ${clock}`;
}

/** Said above numbers while live updates are down: they are as of their last refresh, not now. */
export function StaleNotice({ asOf }: { asOf: string | undefined }) {
  return (
    <p role="status" data-testid="stale-notice" className="rounded-md border border-warn/40 bg-warn/10 px-3 py-1.5 text-xs text-warn">
      Live updates are reconnecting: these figures may be stale{asOf ? ` (as of ${new Date(asOf).toLocaleTimeString()})` : ''}.
    </p>
  );
}

/**
 * Total equity and P&L (realized, unrealized, today) over all accounts, from portfolio.get. `stale`: the live
 * stream is down, so the figures say so.
 */
export function PortfolioSummary({ stale = false }: { stale?: boolean }) {
  const trpc = useTRPC();
  const portfolio = useQuery(trpc.portfolio.get.queryOptions());
  if (portfolio.isPending) {
    return (
      <div className="grid grid-cols-2 gap-3 md:grid-cols-4" aria-busy="true">
        {[0, 1, 2, 3].map((i) => (
          <Skeleton key={i} className="h-[5.5rem]" />
        ))}
      </div>
    );
  }
  if (portfolio.isError) return <ErrorState message={`Could not value your portfolio: ${portfolio.error.message}`} retry={() => void portfolio.refetch()} />;
  const { totals } = portfolio.data;
  if (totals.accounts === 0) {
    return (
      <EmptyState title="No accounts yet">
        Add a paper account on the{' '}
        <Link className="text-accent underline" href="/accounts">
          Accounts
        </Link>{' '}
        page to trade, then deploy a backtested strategy to it.
      </EmptyState>
    );
  }
  const unit = totals.currency;
  return (
    <section aria-label="Portfolio totals" className="space-y-2" data-stale={stale}>
      {stale ? <StaleNotice asOf={portfolio.data.asOf} /> : null}
      <div className={cn('grid grid-cols-2 gap-3 md:grid-cols-4', stale && 'opacity-60')}>
        <Stat
          label="Total equity"
          value={formatMoney(totals.equity)}
          unit={unit}
          testId="total-equity"
          title={totals.equity}
          hint={`${totals.accounts} account${totals.accounts === 1 ? '' : 's'}`}
        />
        <Stat
          label="Realized P&L"
          value={formatPnl(totals.realizedPnl)}
          unit={unit}
          testId="total-realized"
          tone={signTone(totals.realizedPnl)}
          title={totals.realizedPnl}
          hint="All time, from closed trades"
        />
        <Stat
          label="Unrealized P&L"
          value={formatPnl(totals.unrealizedPnl)}
          unit={unit}
          testId="total-unrealized"
          tone={signTone(totals.unrealizedPnl)}
          title={totals.unrealizedPnl}
          hint="Open positions at their mark"
        />
        <Stat
          label="P&L today"
          value={totals.pnlToday === null ? '—' : formatPnl(totals.pnlToday)}
          unit={totals.pnlToday === null ? '' : unit}
          testId="total-pnl-today"
          tone={signTone(totals.pnlToday)}
          title={totals.pnlToday ?? undefined}
          hint={pnlTodayHint(totals.pnlTodayBasis)}
          basis={totals.pnlTodayBasis ?? 'none'}
        />
      </div>
      {totals.accountsWithErrors > 0 ? (
        <ErrorState
          title={`${totals.accountsWithErrors} account${totals.accountsWithErrors === 1 ? '' : 's'} could not be valued`}
          message={portfolio.data.accounts
            .filter((a) => a.error)
            .map((a) => `${a.name}: ${a.error!.message}`)
            .join('; ')}
        />
      ) : null}
    </section>
  );
}

/** Open positions of every account: quantity, average entry, mark and unrealized P&L. */
export function PositionsCard() {
  const trpc = useTRPC();
  const portfolio = useQuery(trpc.portfolio.get.queryOptions());
  const rows = portfolio.data?.accounts.flatMap((account) => account.positions.map((position) => ({ account, position }))) ?? [];
  return (
    <Card className="min-w-0">
      <CardHeader>
        <CardTitle>Open positions</CardTitle>
      </CardHeader>
      <CardContent>
        {portfolio.isPending ? (
          <SkeletonRows rows={2} />
        ) : portfolio.isError ? (
          <ErrorState message="Could not load your positions." retry={() => void portfolio.refetch()} />
        ) : rows.length === 0 ? (
          <EmptyState title="No open positions">Positions your orders and deployments open appear here.</EmptyState>
        ) : (
          <ul className="divide-y divide-border" aria-label="Open positions">
            {rows.map(({ account, position }) => (
              <li key={`${account.accountId}-${position.symbol}`} className="py-2 text-sm" data-testid="position-row">
                <div className="flex items-baseline justify-between gap-2">
                  <span className="font-medium">{position.symbol}</span>
                  <span className="num" data-testid="position-quantity" title={position.quantity}>
                    {formatQuantity(position.quantity, { step: position.amountStep })} {position.baseCurrency}
                  </span>
                </div>
                <div className="flex items-baseline justify-between gap-2 text-xs text-muted">
                  <span>
                    {account.name} · avg{' '}
                    <span className="num" data-testid="position-average-price" title={position.averageEntryPrice}>
                      {formatPrice(position.averageEntryPrice, { priceTick: position.priceTick })}
                    </span>{' '}
                    · <MarkLabel mark={position.mark} priceTick={position.priceTick} />
                  </span>
                  <span className={cn('num', signTone(position.unrealizedPnl))} title={position.unrealizedPnl ?? undefined}>
                    {position.unrealizedPnl === null ? 'unpriced' : `${formatPnl(position.unrealizedPnl)} ${position.quoteCurrency}`}
                  </span>
                </div>
              </li>
            ))}
          </ul>
        )}
      </CardContent>
    </Card>
  );
}
