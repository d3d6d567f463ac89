'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { useTRPC } from '@/components/trpc/client';
import { Button } from '@/components/ui/button';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { ErrorState, Skeleton } from '@/components/ui/states';
import { formatDateTimeSeconds, formatFee, formatPrice, formatQuantity, formatTimeOfDay } from '@/components/format';
import { useTimeZone } from '@/components/format/time-zone';
import type { OrderResponse } from '@/server/api/schemas/orders';

export const ORDER_STATUSES = ['new', 'open', 'partially_filled', 'filled', 'canceled', 'rejected', 'expired', 'unknown'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

const typeLabel = (type: OrderResponse['type']) => type.replace('_', '-');

export function statusClass(status: string): string {
  if (status === 'filled') return 'text-gain';
  if (status === 'rejected' || status === 'unknown') return 'text-loss';
  if (status === 'open' || status === 'partially_filled') return 'text-accent';
  return 'text-muted';
}

/** Fees as "1.23 USDT + 0.0001 BNB" (components/format: never past 8 decimals); "—" when none. */
export function feesText(fees: Record<string, string>): string {
  const entries = Object.entries(fees);
  return entries.length ? entries.map(([currency, fee]) => formatFee(fee, currency)).join(' + ') : '—';
}

/**
 * One order: side, size, price, status, fills so far; details open its fills and state history; resting
 * orders can be canceled after a confirmation.
 */
export function OrderRow({ order, accountName, deploymentName }: { order: OrderResponse; accountName: string; deploymentName?: string | null }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [confirmCancel, setConfirmCancel] = useState(false);
  const cancel = useMutation(trpc.orders.cancel.mutationOptions());
  const [cancelError, setCancelError] = useState<string | null>(null);
  const detail = useQuery({ ...trpc.orders.get.queryOptions({ id: order.id }), enabled: open });
  const [base, quote] = order.symbol.split('/');
  const zone = useTimeZone();

  async function onCancel() {
    setCancelError(null);
    try {
      await cancel.mutateAsync({ id: order.id });
    } catch (error) {
      setCancelError((error as Error).message);
    }
    setConfirmCancel(false);
    await queryClient.invalidateQueries({ queryKey: trpc.orders.list.queryKey() });
    await queryClient.invalidateQueries({ queryKey: trpc.orders.get.queryKey({ id: order.id }) });
    await queryClient.invalidateQueries({ queryKey: trpc.accounts.balance.queryKey() });
  }

  const partlyFilled = order.filledQuantity !== '0' && order.filledQuantity !== order.quantity;
  return (
    <li className="py-3" data-testid="order-row" data-order-id={order.id} aria-label={`Order ${order.side} ${order.quantity} ${order.symbol}`}>
      <div className="flex flex-wrap items-center justify-between gap-2 text-sm">
        <div className="min-w-0">
          <span className={order.side === 'buy' ? 'font-medium text-gain' : 'font-medium text-loss'}>{order.side === 'buy' ? '▲ Buy' : '▼ Sell'}</span>{' '}
          <span className="num" data-testid="order-quantity" title={order.quantity}>
            {formatQuantity(order.quantity, { step: order.amountStep })}
          </span>{' '}
          {order.symbol} <span className="text-muted">{typeLabel(order.type)}</span>
          {order.stopPrice ? (
            <>
              {' '}
              stop <span className="num">{formatPrice(order.stopPrice, { priceTick: order.priceTick })}</span>
            </>
          ) : null}
          {order.price ? (
            <>
              {' '}
              @{' '}
              <span className="num" data-testid="order-price" title={order.price}>
                {formatPrice(order.price, { priceTick: order.priceTick })}
              </span>
            </>
          ) : null}
          <div className="text-xs text-muted">
            {accountName} · {formatDateTimeSeconds(order.createdAt, zone)}
            {order.deploymentId ? (
              <>
                {' · '}
                <Link className="text-accent hover:underline" href={`/deployments/${order.deploymentId}`}>
                  {deploymentName ?? 'deployment'}
                </Link>
              </>
            ) : (
              ' · manual'
            )}
            {order.priceSource ? ` · prices: ${order.priceSource}` : ''}
          </div>
        </div>
        <div className="flex items-center gap-3">
          <div className="text-right">
            <div data-testid="order-status" className={`font-medium ${statusClass(order.status)}`}>
              {order.status.replace('_', ' ')}
            </div>
            {order.averagePrice ? (
              <div className="num text-xs text-muted" data-testid="order-fill-summary">
                {partlyFilled ? `${formatQuantity(order.filledQuantity, { step: order.amountStep })} ${base} ` : ''}avg{' '}
                {formatPrice(order.averagePrice, { priceTick: order.priceTick, currency: quote })}
              </div>
            ) : null}
          </div>
          {order.status === 'open' || order.status === 'partially_filled' ? (
            <Button size="sm" variant="secondary" onClick={() => setConfirmCancel(true)} disabled={cancel.isPending}>
              Cancel
            </Button>
          ) : null}
          <Button size="sm" variant="ghost" aria-expanded={open} onClick={() => setOpen(!open)}>
            {open ? 'Hide' : 'Details'}
          </Button>
        </div>
      </div>
      {order.statusReason ? <p className="mt-1 text-xs text-muted">Reason: {order.statusReason}</p> : null}
      {cancelError ? (
        <p role="alert" className="mt-1 text-xs text-loss">
          {cancelError}
        </p>
      ) : null}
      {open ? (
        <div className="mt-3 grid gap-4 rounded-md bg-panel-2 p-3 text-sm md:grid-cols-2">
          {detail.isPending ? (
            <Skeleton className="h-20 md:col-span-2" />
          ) : detail.isError ? (
            <ErrorState message="Could not load this order." retry={() => void detail.refetch()} />
          ) : (
            <>
              <section aria-label="Fills" className="min-w-0">
                <h3 className="mb-1 text-xs font-semibold uppercase text-muted">Fills</h3>
                {detail.data.fills.length === 0 ? (
                  <p className="text-muted">No fills.</p>
                ) : (
                  <div className="relative overflow-x-auto">
                    <table className="w-full">
                      <thead className="text-xs text-muted">
                        <tr>
                          <th className="text-left font-normal">Time</th>
                          <th className="pl-3 text-right font-normal">Qty</th>
                          <th className="pl-3 text-right font-normal">Price</th>
                          <th className="pl-3 text-right font-normal">Fee</th>
                        </tr>
                      </thead>
                      <tbody>
                        {detail.data.fills.map((fill) => (
                          <tr key={fill.tradeId} data-testid="fill-row" title={`trade ${fill.tradeId}${fill.liquidity ? ` (${fill.liquidity})` : ''}`}>
                            <td className="whitespace-nowrap text-xs">{formatDateTimeSeconds(fill.executedAt, zone)}</td>
                            <td className="num pl-3 text-right">{formatQuantity(fill.quantity, { step: order.amountStep })}</td>
                            <td className="num whitespace-nowrap pl-3 text-right" title={fill.price}>
                              {formatPrice(fill.price, { priceTick: order.priceTick })}
                            </td>
                            <td className="num whitespace-nowrap pl-3 text-right" title={fill.fee}>
                              {formatFee(fill.fee, fill.feeCurrency ?? undefined)}
                            </td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                )}
                <p className="mt-2 text-xs text-muted">
                  Fees: <span className="num">{feesText(order.fees)}</span> · client id <span className="font-mono">{order.clientOrderId}</span>
                </p>
              </section>
              <section aria-label="State history">
                <h3 className="mb-1 text-xs font-semibold uppercase text-muted">State history</h3>
                <ol className="space-y-1">
                  {detail.data.events.map((event, index) => (
                    <li key={index} data-testid="order-event" className="flex justify-between gap-2">
                      <span>
                        {event.fromStatus ? `${event.fromStatus} → ` : ''}
                        <span className="font-medium">{event.toStatus}</span> <span className="text-muted">({event.type})</span>
                        {event.reason ? <span className="block text-xs text-muted">{event.reason}</span> : null}
                      </span>
                      <span className="text-xs text-muted">{formatTimeOfDay(event.createdAt, zone)}</span>
                    </li>
                  ))}
                </ol>
              </section>
            </>
          )}
        </div>
      ) : null}
      <ConfirmDialog
        open={confirmCancel}
        onOpenChange={setConfirmCancel}
        title="Cancel this order?"
        confirmLabel="Cancel order"
        danger
        pending={cancel.isPending}
        onConfirm={() => void onCancel()}
        description={
          <p>
            {order.side === 'buy' ? 'Buy' : 'Sell'} {formatQuantity(order.quantity, { step: order.amountStep })} {order.symbol} {typeLabel(order.type)}
            {order.price ? ` at ${formatPrice(order.price, { priceTick: order.priceTick })}` : ''} on {accountName} will be canceled; any funds it reserved are
            released. Fills already made stay.
          </p>
        }
      />
    </li>
  );
}
