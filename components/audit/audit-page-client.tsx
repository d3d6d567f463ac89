'use client';

import { useInfiniteQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPCClient } from '@/components/trpc/client';
import { formatDateTime } from '@/components/format';
import { useTimeZone } from '@/components/format/time-zone';
import { Button } from '@/components/ui/button';
import { Card, CardContent } from '@/components/ui/card';
import { cn } from '@/components/ui/cn';
import { EmptyState, ErrorState, Skeleton } from '@/components/ui/states';
import { ALARMING, AUDIT_CATEGORY_LABELS, auditLabel, summarize } from './labels';

type Category = keyof typeof AUDIT_CATEGORY_LABELS;

export function AuditPageClient({ isAdmin }: { isAdmin: boolean }) {
  const client = useTRPCClient();
  const zone = useTimeZone();
  const [category, setCategory] = useState<Category | ''>('');
  const [allUsers, setAllUsers] = useState(false);
  const events = useInfiniteQuery({
    queryKey: ['audit.list', category, allUsers],
    initialPageParam: undefined as number | undefined,
    queryFn: ({ pageParam }) =>
      client.audit.list.query({
        ...(category ? { category } : {}),
        ...(allUsers ? { allUsers: true } : {}),
        ...(pageParam ? { before: pageParam } : {}),
        limit: 50,
      }),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const rows = events.data?.pages.flatMap((p) => p.events) ?? [];

  return (
    <>
      <div className="mb-4 flex flex-wrap items-center gap-3">
        <label className="flex items-center gap-2 text-sm">
          <span className="text-muted">Show</span>
          <select
            aria-label="Category"
            value={category}
            onChange={(e) => setCategory(e.target.value as Category | '')}
            className="h-9 rounded-md border border-border bg-panel-2 px-2 text-sm text-fg"
          >
            <option value="">All events</option>
            {Object.entries(AUDIT_CATEGORY_LABELS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        {isAdmin ? (
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" checked={allUsers} onChange={(e) => setAllUsers(e.target.checked)} className="h-4 w-4 accent-[var(--accent)]" /> All users
          </label>
        ) : null}
      </div>
      <Card>
        <CardContent className="p-0">
          {events.isPending ? (
            <div className="space-y-2 p-4" aria-busy>
              {[0, 1, 2, 3].map((i) => (
                <Skeleton key={i} className="h-8 w-full" />
              ))}
            </div>
          ) : events.isError ? (
            <div className="p-4">
              <ErrorState title="Could not load the audit log" message={events.error.message} retry={() => void events.refetch()} />
            </div>
          ) : rows.length === 0 ? (
            <div className="p-4">
              <EmptyState title="No events">Sign-ins, key changes and other security events appear here.</EmptyState>
            </div>
          ) : (
            <ul className="divide-y divide-border" aria-label="Audit events">
              {rows.map((e) => (
                <li key={e.id} className="grid gap-1 px-4 py-2.5 text-sm md:grid-cols-[11rem_14rem_1fr_auto] md:items-center md:gap-3">
                  <time className="num text-xs text-muted" dateTime={new Date(e.createdAt).toISOString()}>
                    {formatDateTime(e.createdAt, zone)}
                  </time>
                  <span className={cn('font-medium', ALARMING.has(e.type) && 'text-loss')}>{auditLabel(e.type, e.details)}</span>
                  <span className="min-w-0 truncate text-xs text-muted" title={summarize(e.details)}>
                    {allUsers && e.username ? <span className="mr-2 text-fg">{e.username}</span> : null}
                    {summarize(e.details)}
                  </span>
                  <span className="num text-xs text-muted">{e.ip ?? ''}</span>
                </li>
              ))}
            </ul>
          )}
        </CardContent>
      </Card>
      {events.hasNextPage ? (
        <div className="mt-4 flex justify-center">
          <Button variant="secondary" onClick={() => void events.fetchNextPage()} disabled={events.isFetchingNextPage}>
            {events.isFetchingNextPage ? 'Loading…' : 'Load older events'}
          </Button>
        </div>
      ) : null}
    </>
  );
}
