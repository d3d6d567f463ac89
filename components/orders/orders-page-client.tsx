'use client';

import { formatDateTime } from '@/components/format';
import { useTimeZone } from '@/components/format/time-zone';
import { useQuery } from '@tanstack/react-query';
import { usePathname, useRouter } from 'next/navigation';
import { useState } from 'react';
import { LiveIndicator } from '@/components/deployments/live-indicator';
import { PageHeader } from '@/components/shell/page-header';
import { useTRPC } from '@/components/trpc/client';
import { useLiveEvents } from '@/components/trpc/use-live-events';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { OrderList } from './order-list';
import { ORDER_STATUSES, type OrderStatus } from './order-row';
import { OrderTicket, SELECT_CLASS } from './order-ticket';

export interface OrdersPageFilters {
  accountId?: string;
  status?: string;
  deploymentId?: string;
}

const isStatus = (value: string | undefined): value is OrderStatus => ORDER_STATUSES.includes(value as OrderStatus);

/** The orders page: the ticket, and every order filtered by account, status and deployment (kept in the URL), updating live. */
export function OrdersPageClient({ initialFilters = {} }: { initialFilters?: OrdersPageFilters }) {
  const trpc = useTRPC();
  const zone = useTimeZone();
  const router = useRouter();
  const pathname = usePathname();
  const live = useLiveEvents();
  const accounts = useQuery(trpc.accounts.list.queryOptions());
  const deployments = useQuery(trpc.deployments.list.queryOptions({}));
  const [accountFilter, setAccountFilter] = useState(initialFilters.accountId ?? '');
  const [statusFilter, setStatusFilter] = useState<OrderStatus | ''>(isStatus(initialFilters.status) ? initialFilters.status : '');
  const [deploymentFilter, setDeploymentFilter] = useState(initialFilters.deploymentId ?? '');

  function update(next: { accountId: string; status: string; deploymentId: string }) {
    setAccountFilter(next.accountId);
    setStatusFilter(next.status as OrderStatus | '');
    setDeploymentFilter(next.deploymentId);
    const params = new URLSearchParams(Object.entries(next).filter(([, v]) => v !== ''));
    router.replace(params.size ? `${pathname}?${params}` : pathname, { scroll: false });
  }
  const current = { accountId: accountFilter, status: statusFilter, deploymentId: deploymentFilter };
  const filtered = accountFilter || statusFilter || deploymentFilter;

  return (
    <>
      <PageHeader
        title="Orders"
        description="Place manual orders, follow every order's fills and state history, cancel resting ones."
        actions={<LiveIndicator status={live} />}
      />
      <div className="grid gap-6 lg:grid-cols-[22rem_1fr]">
        <OrderTicket />
        <Card className="min-w-0">
          <CardHeader className="flex-row flex-wrap items-end justify-between gap-3">
            <CardTitle>Orders</CardTitle>
            <div className="flex flex-wrap gap-2">
              <select
                aria-label="Filter by account"
                className={`${SELECT_CLASS} w-auto max-w-full`}
                value={accountFilter}
                onChange={(e) => update({ ...current, accountId: e.target.value })}
              >
                <option value="">All accounts</option>
                {accounts.data?.map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.name}
                  </option>
                ))}
              </select>
              <select
                aria-label="Filter by status"
                className={`${SELECT_CLASS} w-auto max-w-full`}
                value={statusFilter}
                onChange={(e) => update({ ...current, status: e.target.value })}
              >
                <option value="">All statuses</option>
                {ORDER_STATUSES.map((s) => (
                  <option key={s} value={s}>
                    {s.replace('_', ' ')}
                  </option>
                ))}
              </select>
              <select
                aria-label="Filter by deployment"
                className={`${SELECT_CLASS} w-auto max-w-full`}
                value={deploymentFilter}
                onChange={(e) => update({ ...current, deploymentId: e.target.value })}
              >
                <option value="">All deployments and manual</option>
                {deploymentFilter && !deployments.data?.some((d) => d.id === deploymentFilter) ? (
                  <option value={deploymentFilter}>Deployment {deploymentFilter.slice(0, 8)}</option>
                ) : null}
                {deployments.data?.map((d) => (
                  <option key={d.id} value={d.id}>
                    {d.strategyName ?? d.strategy.symbol} · {d.mode} · {d.state} · {formatDateTime(d.createdAt, zone)}
                  </option>
                ))}
              </select>
            </div>
          </CardHeader>
          <CardContent>
            <OrderList
              filters={{
                ...(accountFilter ? { accountId: accountFilter } : {}),
                ...(statusFilter ? { status: statusFilter } : {}),
                ...(deploymentFilter ? { deploymentId: deploymentFilter } : {}),
              }}
              empty={filtered ? 'No order matches these filters.' : 'Orders you place with the ticket (or your deployments place) appear here.'}
            />
          </CardContent>
        </Card>
      </div>
    </>
  );
}
