'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { formatPrice, formatQuantity, formatTimeOfDay } from '@/components/format';
import { useTimeZone } from '@/components/format/time-zone';
import { statusClass, feesText } from '@/components/orders/order-row';
import { useTRPC } from '@/components/trpc/client';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { cn } from '@/components/ui/cn';
import { EmptyState, ErrorState, SkeletonRows } from '@/components/ui/states';

const RECENT = 10;

/** The latest orders of every account and deployment, each with what filled, at what average price and fee. */
export function RecentOrdersCard() {
  const trpc = useTRPC();
  const zone = useTimeZone();
  const orders = useQuery(trpc.orders.list.queryOptions({ limit: RECENT }));
  const deployments = useQuery(trpc.deployments.list.queryOptions({}));
  const deploymentName = (id: string) => {
    const d = deployments.data?.find((x) => x.id === id);
    return d ? (d.strategyName ?? d.strategy.symbol) : 'deployment';
  };
  return (
    <Card className="min-w-0">
      <CardHeader className="flex-row flex-wrap items-center justify-between gap-2">
        <CardTitle>Recent orders and fills</CardTitle>
        <Link className="text-xs text-accent hover:underline" href="/orders">
          All orders
        </Link>
      </CardHeader>
      <CardContent>
        {orders.isPending ? (
          <SkeletonRows rows={3} />
        ) : orders.isError ? (
          <ErrorState message={`Could not load your orders: ${orders.error.message}`} retry={() => void orders.refetch()} />
        ) : orders.data.length === 0 ? (
          <EmptyState title="No orders yet">Orders from the ticket on the Orders page and from your deployments appear here as they happen.</EmptyState>
        ) : (
          <ul className="divide-y divide-border" aria-label="Recent orders">
            {orders.data.map((order) => {
              const [base, quote] = order.symbol.split('/');
              const filled = order.filledQuantity !== '0';
              return (
                <li key={order.id} className="py-2 text-sm" data-testid="recent-order" data-order-id={order.id} data-status={order.status}>
                  <div className="flex items-baseline justify-between gap-3">
                    <span className="min-w-0">
                      <span className={order.side === 'buy' ? 'font-medium text-gain' : 'font-medium text-loss'}>
                        {order.side === 'buy' ? '▲ Buy' : '▼ Sell'}
                      </span>{' '}
                      <span className="num break-words">{formatQuantity(order.quantity, { step: order.amountStep })}</span> {order.symbol}{' '}
                      <span className="text-xs text-muted">{order.type.replace('_', '-')}</span>
                    </span>
                    <span className={cn('shrink-0 text-xs font-medium', statusClass(order.status))}>{order.status.replace('_', ' ')}</span>
                  </div>
                  <div className="mt-0.5 text-xs text-muted">
                    {formatTimeOfDay(order.createdAt, zone)} ·{' '}
                    {order.deploymentId ? (
                      <Link className="text-accent hover:underline" href={`/deployments/${order.deploymentId}`}>
                        {deploymentName(order.deploymentId)}
                      </Link>
                    ) : (
                      'manual'
                    )}
                    {filled ? (
                      <span className="num break-words" data-testid="recent-order-fill">
                        {' '}
                        · filled {formatQuantity(order.filledQuantity, { step: order.amountStep })} {base} @{' '}
                        {formatPrice(order.averagePrice, { priceTick: order.priceTick, currency: quote })} · fee {feesText(order.fees)}
                      </span>
                    ) : null}
                  </div>
                </li>
              );
            })}
          </ul>
        )}
      </CardContent>
    </Card>
  );
}
