'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useTRPC } from '@/components/trpc/client';
import { useJobEventRefetch } from '@/components/trpc/use-job-events';
import { EmptyState, ErrorState, Skeleton } from '@/components/ui/states';
import { formatDate, formatDateTime } from '@/components/format';
import { useTimeZone } from '@/components/format/time-zone';
import { StatusBadge } from './status-badge';

const ACTIVE = new Set(['queued', 'running']);

export function SweepList({ strategyId }: { strategyId?: string }) {
  const trpc = useTRPC();
  const zone = useTimeZone();
  const list = useQuery(trpc.backtests.sweeps.list.queryOptions({ strategyId }));
  useJobEventRefetch(!!list.data?.some((s) => ACTIVE.has(s.status)), [trpc.backtests.sweeps.list.queryKey({ strategyId })]);
  if (list.isPending) return <Skeleton className="h-12 w-full" />;
  if (list.isError) return <ErrorState message="Could not load the sweeps." retry={() => void list.refetch()} />;
  if (list.data.length === 0)
    return (
      <EmptyState title="No sweeps yet">
        {strategyId ? (
          <>
            Sweep two or more parameters with the{' '}
            <Link className="text-accent underline" href="#sweep">
              Parameter sweep
            </Link>{' '}
            form on this page.
          </>
        ) : (
          <>
            Sweep two or more parameters from a strategy&apos;s page on{' '}
            <Link className="text-accent underline" href="/strategies">
              Strategies
            </Link>
            .
          </>
        )}
      </EmptyState>
    );
  return (
    <ul className="divide-y divide-border text-sm">
      {list.data.map((s) => (
        <li key={s.id} className="flex flex-wrap items-center gap-3 py-2">
          <Link href={`/backtests/sweeps/${s.id}`} className="flex-1 hover:underline">
            {s.strategyType} · {s.sweptParams.join(' × ')} · <span className="num">{s.combinationCount}</span> runs
          </Link>
          <span className="text-xs text-muted">
            {formatDate(s.start)} → {formatDate(s.end)} UTC · {formatDateTime(s.createdAt, zone)}
          </span>
          <StatusBadge status={s.status} />
        </li>
      ))}
    </ul>
  );
}
