'use client';

import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/components/trpc/client';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { ErrorState, Skeleton } from '@/components/ui/states';

function ago(iso: string): string {
  const seconds = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
  return seconds < 60 ? `${seconds}s ago` : seconds < 3600 ? `${Math.round(seconds / 60)} min ago` : `${Math.round(seconds / 3600)} h ago`;
}

/** Database and worker status, refreshed every 5 s. */
export function SystemStatus() {
  const trpc = useTRPC();
  const health = useQuery({ ...trpc.system.health.queryOptions(), refetchInterval: 5_000 });
  return (
    <Card>
      <CardHeader>
        <CardTitle>System</CardTitle>
      </CardHeader>
      <CardContent>
        {health.isPending ? (
          <div className="space-y-2">
            <Skeleton className="h-5 w-40" />
            <Skeleton className="h-5 w-56" />
          </div>
        ) : health.isError ? (
          <ErrorState message="Could not load the system status." retry={() => void health.refetch()} />
        ) : (
          <dl className="grid grid-cols-[auto_1fr] gap-x-6 gap-y-2 text-sm">
            <dt className="text-muted">Database</dt>
            <dd data-testid="status-db" className={health.data.db === 'ok' ? 'text-gain' : 'text-loss'}>
              {health.data.db === 'ok' ? '● connected' : '▲ down'}
            </dd>
            <dt className="text-muted">Worker</dt>
            <dd data-testid="status-worker">
              {health.data.worker.lastHeartbeat ? (
                <span className="text-gain">● last heartbeat {ago(health.data.worker.lastHeartbeat)}</span>
              ) : (
                <span className="text-warn">▲ no worker running (start one with npm run worker)</span>
              )}
            </dd>
          </dl>
        )}
      </CardContent>
    </Card>
  );
}
