import Link from 'next/link';
import type { ReactNode } from 'react';
import { StatusBadge } from '@/components/backtests/status-badge';
import type { DeploymentResponse } from '@/server/api/schemas/deployments';
import { DeploymentControls } from './deployment-controls';
import { formatDateTime, formatMoney, formatPnl, formatQuantity, isZero, signTone } from '@/components/format';
import { feedLabel } from './feed-label';

/** "enter on 2021-01-03 04:00 UTC" — the strategy's last decision, with the bar it was made on. */
export function decisionText(deployment: DeploymentResponse): string {
  const decision = deployment.lastDecision;
  return decision ? `${decision.decision} · bar ${formatDateTime(decision.barTime)}` : 'no bar processed yet';
}

/**
 * One deployment as a row of the deployments list (and the dashboard's): state, feed, feed time, last
 * decision, position, equity, realized P&L, closed trades, and its controls; `children` go under it.
 */
export function DeploymentSummary({ deployment, controls = true, children }: { deployment: DeploymentResponse; controls?: boolean; children?: ReactNode }) {
  const [base, quote] = deployment.strategy.symbol.split('/');
  const name = deployment.strategyName ?? deployment.strategy.symbol;
  return (
    <li className="py-3" data-testid="deployment-row" data-deployment-id={deployment.id} aria-label={`Deployment ${name}`}>
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0 space-y-1">
          <div className="flex flex-wrap items-center gap-2">
            <Link className="font-medium hover:underline" href={`/deployments/${deployment.id}`}>
              {name}
            </Link>
            <span data-testid="deployment-state" data-state={deployment.state}>
              <StatusBadge status={deployment.state} />
            </span>
            <StatusBadge status={deployment.mode} />
          </div>
          <p className="text-xs text-muted">
            {deployment.strategy.exchange} {deployment.strategy.symbol} {deployment.strategy.timeframe} · {deployment.accountName ?? 'account'} ·{' '}
            {feedLabel(deployment.feed)}
            {deployment.feed.type !== 'live' ? ` · at ${formatDateTime(deployment.feedTime)}` : ''}
          </p>
          <p className="text-xs">
            <span className="text-muted">Last decision:</span> <span data-testid="deployment-last-decision">{decisionText(deployment)}</span>
          </p>
          {deployment.stateReason ? <p className="text-xs text-muted">{deployment.stateReason}</p> : null}
        </div>
        {controls ? <DeploymentControls deployment={deployment} /> : null}
      </div>
      <dl className="mt-2 grid grid-cols-2 gap-x-4 gap-y-1 text-xs sm:grid-cols-4">
        <div>
          <dt className="text-muted">Position</dt>
          <dd className="num" data-testid="deployment-position">
            {isZero(deployment.position.quantity) ? 'flat' : `${formatQuantity(deployment.position.quantity, { step: deployment.amountStep })} ${base}`}
          </dd>
        </div>
        <div>
          <dt className="text-muted">Equity</dt>
          <dd className="num" data-testid="deployment-equity" title={deployment.equity}>
            {formatMoney(deployment.equity)} {quote}
          </dd>
        </div>
        <div>
          <dt className="text-muted">Realized P&amp;L</dt>
          <dd className={`num ${signTone(deployment.realizedPnl)}`} data-testid="deployment-realized" title={deployment.realizedPnl}>
            {formatPnl(deployment.realizedPnl)} {quote}
          </dd>
        </div>
        <div>
          <dt className="text-muted">Closed trades</dt>
          <dd className="num" data-testid="deployment-trades">
            {deployment.closedTrades}
          </dd>
        </div>
      </dl>
      {children ? <div className="mt-2">{children}</div> : null}
    </li>
  );
}
