'use client';

import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { useTRPC } from '@/components/trpc/client';
import { EmptyState, ErrorState, SkeletonRows } from '@/components/ui/states';
import { OrderRow, type OrderStatus } from './order-row';

const RESTING = new Set(['new', 'open', 'partially_filled', 'unknown']);
const RESTING_POLL_MS = 15_000;

export interface OrderFilters {
  accountId?: string;
  status?: OrderStatus;
  deploymentId?: string;
  limit?: number;
}

/** Orders matching `filters`, newest first, with loading, empty and error states. Live updates come from the page's useLiveEvents. */
export function OrderList({ filters, empty }: { filters: OrderFilters; empty: ReactNode }) {
  const trpc = useTRPC();
  const accounts = useQuery(trpc.accounts.list.queryOptions());
  const deployments = useQuery(trpc.deployments.list.queryOptions({}));
  const orders = useQuery({
    ...trpc.orders.list.queryOptions(filters),
    // Deployment orders arrive as live events; manual ones send none yet, so a resting manual order is
    // re-checked now and then (listing also settles paper orders against the latest price).
    refetchInterval: (query) => (query.state.data?.some((o) => o.deploymentId === null && RESTING.has(o.status)) ? RESTING_POLL_MS : false),
  });
  const accountName = (id: string) => accounts.data?.find((a) => a.id === id)?.name ?? id.slice(0, 8);
  const deploymentName = (id: string | null) => {
    const deployment = id ? deployments.data?.find((d) => d.id === id) : undefined;
    return deployment ? (deployment.strategyName ?? deployment.strategy.symbol) : null;
  };

  if (orders.isPending) {
    return <SkeletonRows rows={3} />;
  }
  if (orders.isError) return <ErrorState message={`Could not load the orders: ${orders.error.message}`} retry={() => void orders.refetch()} />;
  if (orders.data.length === 0) return <EmptyState title="No orders">{empty}</EmptyState>;
  return (
    <ul className="divide-y divide-border" aria-label="Orders">
      {orders.data.map((order) => (
        <OrderRow key={order.id} order={order} accountName={accountName(order.accountId)} deploymentName={deploymentName(order.deploymentId)} />
      ))}
    </ul>
  );
}
