'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { StatusBadge } from '@/components/backtests/status-badge';
import { useTRPC } from '@/components/trpc/client';
import { Button } from '@/components/ui/button';
import { EmptyState, ErrorState, Skeleton } from '@/components/ui/states';

/** The user's strategies with their lifecycle status; clone and archive in place. */
export function StrategyList() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [includeArchived, setIncludeArchived] = useState(false);
  const list = useQuery(trpc.strategies.list.queryOptions({ includeArchived }));
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.strategies.pathKey() });
  const clone = useMutation(trpc.strategies.clone.mutationOptions({ onSuccess: invalidate }));
  const archive = useMutation(trpc.strategies.archive.mutationOptions({ onSuccess: invalidate }));
  const restore = useMutation(trpc.strategies.update.mutationOptions({ onSuccess: invalidate }));

  if (list.isPending)
    return (
      <div className="space-y-2">
        {[0, 1, 2].map((i) => (
          <Skeleton key={i} className="h-14 w-full" />
        ))}
      </div>
    );
  if (list.isError) return <ErrorState message="Could not load your strategies." retry={() => void list.refetch()} />;

  return (
    <div className="space-y-3">
      <label className="flex items-center gap-2 text-sm text-muted">
        <input type="checkbox" checked={includeArchived} onChange={(e) => setIncludeArchived(e.target.checked)} /> Show archived
      </label>
      {list.data.length === 0 ? (
        <EmptyState
          title="No strategies yet"
          action={
            <Button asChild size="sm">
              <Link href="/strategies/new">New strategy</Link>
            </Button>
          }
        >
          Pick a strategy type, set its parameters and market, then backtest it.
        </EmptyState>
      ) : (
        <ul className="divide-y divide-border rounded-lg border border-border bg-panel" aria-label="Strategies">
          {list.data.map((s) => (
            <li key={s.id} className="flex flex-wrap items-center gap-3 px-4 py-3">
              <div className="min-w-0 flex-1">
                <Link href={`/strategies/${s.id}`} className="font-medium hover:underline">
                  {s.name}
                </Link>
                <p className="text-xs text-muted">
                  {s.type} · {s.exchange} {s.symbols ? `${s.symbols.length} pairs` : s.symbol} {s.timeframe}
                </p>
              </div>
              <StatusBadge status={s.status} />
              <div className="flex gap-1">
                <Button variant="ghost" size="sm" onClick={() => clone.mutate({ id: s.id })} aria-label={`Clone ${s.name}`}>
                  Clone
                </Button>
                {s.actions.includes('archive') ? (
                  <Button variant="ghost" size="sm" onClick={() => archive.mutate({ id: s.id })} aria-label={`Archive ${s.name}`}>
                    Archive
                  </Button>
                ) : null}
                {s.actions.includes('restore') ? (
                  <Button variant="ghost" size="sm" onClick={() => restore.mutate({ id: s.id, patch: { status: 'draft' } })} aria-label={`Restore ${s.name}`}>
                    Restore
                  </Button>
                ) : null}
              </div>
            </li>
          ))}
        </ul>
      )}
      {clone.error || archive.error || restore.error ? <ErrorState message={(clone.error ?? archive.error ?? restore.error)!.message} /> : null}
    </div>
  );
}
