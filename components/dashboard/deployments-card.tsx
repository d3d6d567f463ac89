'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { DeploymentEquityChart } from '@/components/deployments/deployment-equity';
import { DeploymentSummary } from '@/components/deployments/deployment-summary';
import { useTRPC } from '@/components/trpc/client';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { EmptyState, ErrorState, Skeleton } from '@/components/ui/states';

/** Running and paused deployments: state, last decision, position, equity and its curve, with their controls. */
export function DeploymentsCard() {
  const trpc = useTRPC();
  const deployments = useQuery(trpc.deployments.list.queryOptions({}));
  const active = deployments.data?.filter((d) => d.state === 'running' || d.state === 'paused') ?? [];
  const recentlyEnded = deployments.data?.filter((d) => d.state !== 'running' && d.state !== 'paused').slice(0, 3) ?? [];
  return (
    <Card className="min-w-0">
      <CardHeader className="flex-row flex-wrap items-center justify-between gap-2">
        <CardTitle>Deployments</CardTitle>
        <Link className="text-xs text-accent hover:underline" href="/deployments">
          All deployments
        </Link>
      </CardHeader>
      <CardContent>
        {deployments.isPending ? (
          <div className="space-y-3" aria-busy="true">
            <Skeleton className="h-32 w-full" />
          </div>
        ) : deployments.isError ? (
          <ErrorState message={`Could not load your deployments: ${deployments.error.message}`} retry={() => void deployments.refetch()} />
        ) : active.length === 0 ? (
          <EmptyState title="No running deployments">
            Deploy a backtested strategy from its page on{' '}
            <Link className="text-accent underline" href="/strategies">
              Strategies
            </Link>
            : paper on live data, a replay or the simulated market.
            {recentlyEnded.length > 0 ? (
              <span className="mt-2 block">
                Latest:{' '}
                {recentlyEnded.map((d, i) => (
                  <span key={d.id}>
                    {i > 0 ? ', ' : ''}
                    <Link className="text-accent hover:underline" href={`/deployments/${d.id}`}>
                      {d.strategyName ?? d.strategy.symbol} ({d.state})
                    </Link>
                  </span>
                ))}
              </span>
            ) : null}
          </EmptyState>
        ) : (
          <ul className="divide-y divide-border" aria-label="Running deployments">
            {active.map((d) => (
              <DeploymentSummary key={d.id} deployment={d}>
                <DeploymentEquityChart deployment={d} compact />
              </DeploymentSummary>
            ))}
          </ul>
        )}
      </CardContent>
    </Card>
  );
}
