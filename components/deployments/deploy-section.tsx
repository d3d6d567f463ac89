'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useTRPC } from '@/components/trpc/client';
import { ErrorState, Skeleton } from '@/components/ui/states';
import { StatusBadge } from '@/components/backtests/status-badge';
import type { StrategyResponse } from '@/server/api/schemas/strategies';
import { DeployForm } from './deploy-form';
import { formatDateTime } from '@/components/format';
import { useTimeZone } from '@/components/format/time-zone';
import { feedLabel } from './feed-label';

/** The strategy page's deploy card: its active deployment if it has one (one at a time), else the deploy form. */
export function DeploySection({ strategy }: { strategy: StrategyResponse }) {
  const trpc = useTRPC();
  const zone = useTimeZone();
  const deployments = useQuery(trpc.deployments.list.queryOptions({ strategyId: strategy.id }));
  if (deployments.isPending) return <Skeleton className="h-24 w-full" />;
  if (deployments.isError) return <ErrorState message="Could not load this strategy's deployments." retry={() => void deployments.refetch()} />;
  const active = deployments.data.find((d) => d.state === 'running' || d.state === 'paused');
  const past = deployments.data.filter((d) => d !== active).slice(0, 3);
  return (
    <div className="space-y-4">
      {active ? (
        <div className="flex flex-wrap items-center justify-between gap-2 rounded-md bg-panel-2 p-3 text-sm" data-testid="active-deployment">
          <span className="flex flex-wrap items-center gap-2">
            <StatusBadge status={active.state} /> <StatusBadge status={active.mode} /> {active.accountName} · {feedLabel(active.feed)}
          </span>
          <Link className="text-accent hover:underline" href={`/deployments/${active.id}`}>
            Open deployment
          </Link>
        </div>
      ) : strategy.status === 'archived' ? (
        <p className="text-sm text-muted">Restore the strategy to deploy it.</p>
      ) : (
        <DeployForm strategy={strategy} />
      )}
      {active ? <p className="text-xs text-muted">A strategy runs one deployment at a time: stop this one to deploy again.</p> : null}
      {past.length > 0 ? (
        <ul className="space-y-1 text-xs text-muted" aria-label="Earlier deployments">
          {past.map((d) => (
            <li key={d.id}>
              <Link className="hover:underline" href={`/deployments/${d.id}`}>
                {d.mode} · {feedLabel(d.feed)} · {d.state} · {formatDateTime(d.createdAt, zone)}
              </Link>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
