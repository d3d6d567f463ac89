'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { useTRPC } from '@/components/trpc/client';
import { useJobEventRefetch } from '@/components/trpc/use-job-events';
import { Button } from '@/components/ui/button';
import { EmptyState, ErrorState, Skeleton } from '@/components/ui/states';
import { arrow, formatDate, formatDateTime, formatPercent, signTone } from '@/components/format';
import { useTimeZone } from '@/components/format/time-zone';
import { StatusBadge } from './status-badge';

const ACTIVE = new Set(['queued', 'running']);

/** Backtests (of one strategy, or all), newest first; pick two or more to compare. Refreshes from live job events while any runs. */
export function BacktestList({ strategyId }: { strategyId?: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const zone = useTimeZone();
  const [selected, setSelected] = useState<string[]>([]);
  const list = useQuery(trpc.backtests.list.queryOptions({ strategyId }));
  useJobEventRefetch(!!list.data?.some((b) => ACTIVE.has(b.status)), [trpc.backtests.list.queryKey({ strategyId })]);
  if (list.isPending)
    return (
      <div className="space-y-2">
        {[0, 1].map((i) => (
          <Skeleton key={i} className="h-12 w-full" />
        ))}
      </div>
    );
  if (list.isError) return <ErrorState message="Could not load the backtests." retry={() => void list.refetch()} />;
  // On a strategy's page the form is right there: never send the trader to the page they are on.
  if (list.data.length === 0)
    return (
      <EmptyState title="No backtests yet">
        {strategyId ? (
          <>
            <Link className="text-accent underline" href="#backtest">
              Run a backtest
            </Link>{' '}
            with the form on this page.
          </>
        ) : (
          <>
            Run one from a strategy&apos;s page on{' '}
            <Link className="text-accent underline" href="/strategies">
              Strategies
            </Link>
            .
          </>
        )}
      </EmptyState>
    );

  const toggle = (id: string) => setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s, id]));
  return (
    <div className="space-y-3">
      <div className="relative overflow-x-auto">
        <table className="w-full text-sm">
          <thead className="text-left text-xs text-muted">
            <tr>
              <th className="p-2">
                <span className="sr-only">Compare</span>
              </th>
              <th className="p-2">Backtest</th>
              <th className="hidden p-2 sm:table-cell">Range</th>
              <th className="p-2">Status</th>
              <th className="p-2 text-right">Return</th>
              <th className="hidden p-2 text-right sm:table-cell">Max DD</th>
              <th className="hidden p-2 text-right sm:table-cell">Trades</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-border">
            {list.data.map((b) => (
              <tr key={b.id}>
                <td className="p-2">
                  <input
                    type="checkbox"
                    aria-label={`Select backtest ${formatDateTime(b.createdAt, zone)} for comparison`}
                    checked={selected.includes(b.id)}
                    onChange={() => toggle(b.id)}
                    disabled={b.status !== 'completed'}
                  />
                </td>
                <td className="p-2">
                  <Link className="hover:underline" href={`/backtests/${b.id}`}>
                    {b.strategyType} · {b.symbols ? `${b.symbols.length} pairs` : b.symbol} {b.timeframe}
                  </Link>
                  <div className="text-xs text-muted">{formatDateTime(b.createdAt, zone)}</div>
                </td>
                <td className="hidden p-2 text-xs text-muted sm:table-cell">
                  {formatDate(b.start)} → {formatDate(b.end)} UTC
                </td>
                <td className="p-2">
                  <StatusBadge status={b.status} />
                </td>
                <td className={`num p-2 text-right ${signTone(b.metrics?.totalReturnPct)}`}>
                  {b.metrics ? `${arrow(b.metrics.totalReturnPct)}${formatPercent(b.metrics.totalReturnPct, { signed: true })}` : '—'}
                </td>
                <td className="num hidden p-2 text-right sm:table-cell">{b.metrics ? formatPercent(b.metrics.maxDrawdownPct) : '—'}</td>
                <td className="num hidden p-2 text-right sm:table-cell">{b.metrics?.tradeCount ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Button size="sm" variant="secondary" disabled={selected.length < 2} onClick={() => router.push(`/backtests/compare?ids=${selected.join(',')}`)}>
        Compare {selected.length >= 2 ? `(${selected.length})` : ''}
      </Button>
    </div>
  );
}
