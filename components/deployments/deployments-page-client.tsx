'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { PageHeader } from '@/components/shell/page-header';
import { useTRPC } from '@/components/trpc/client';
import { useLiveEvents } from '@/components/trpc/use-live-events';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { EmptyState, ErrorState, SkeletonRows } from '@/components/ui/states';
import { DeploymentSummary } from './deployment-summary';
import { LiveIndicator } from './live-indicator';

const STATES = ['running', 'paused', 'stopped', 'completed', 'failed'] as const;
type State = (typeof STATES)[number];
const SELECT_CLASS = 'h-9 rounded-md border border-border bg-panel-2 px-3 text-sm text-fg focus:border-accent focus:outline-none';

/** Every deployment of the user, newest first, filterable by state, updating live. */
export function DeploymentsPageClient() {
  const trpc = useTRPC();
  const live = useLiveEvents();
  const [state, setState] = useState<State | ''>('');
  const deployments = useQuery(trpc.deployments.list.queryOptions(state ? { state } : {}));

  return (
    <>
      <PageHeader
        title="Deployments"
        description="Strategies trading paper or live accounts: their state, feed, last decision, position and P&L. Deploy one from its strategy's page."
        actions={<LiveIndicator status={live} />}
      />
      <Card>
        <CardHeader className="flex-row flex-wrap items-center justify-between gap-3">
          <CardTitle>Deployments</CardTitle>
          <select aria-label="Filter by state" className={SELECT_CLASS} value={state} onChange={(e) => setState(e.target.value as State | '')}>
            <option value="">All states</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </CardHeader>
        <CardContent>
          {deployments.isPending ? (
            <SkeletonRows rows={2} className="h-24 w-full" gap="space-y-3" />
          ) : deployments.isError ? (
            <ErrorState message={`Could not load your deployments: ${deployments.error.message}`} retry={() => void deployments.refetch()} />
          ) : deployments.data.length === 0 ? (
            <EmptyState title={state ? `No ${state} deployment` : 'No deployments yet'}>
              {state ? (
                'None of your deployments is in this state.'
              ) : (
                <>
                  Backtest a strategy, then deploy it to a paper account from its page on{' '}
                  <Link className="text-accent underline" href="/strategies">
                    Strategies
                  </Link>
                  .
                </>
              )}
            </EmptyState>
          ) : (
            <ul className="divide-y divide-border" aria-label="Deployments">
              {deployments.data.map((d) => (
                <DeploymentSummary key={d.id} deployment={d} />
              ))}
            </ul>
          )}
        </CardContent>
      </Card>
    </>
  );
}
