'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState, type FormEvent } from 'react';
import Decimal from 'decimal.js';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { PageHeader } from '@/components/shell/page-header';
import { fieldErrors, useTRPC } from '@/components/trpc/client';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { Field, Input } from '@/components/ui/input';
import { EmptyState, ErrorState, Skeleton } from '@/components/ui/states';
import { ZPlaceOrderRequestSchema, type OrderResponse } from '@/server/api/schemas/orders';

const SELECT_CLASS = 'h-9 w-full rounded-md border border-border bg-panel-2 px-3 text-sm text-fg focus:border-accent focus:outline-none';
const STATUSES = ['new', 'open', 'partially_filled', 'filled', 'canceled', 'rejected', 'expired', 'unknown'] as const;
type Status = (typeof STATUSES)[number];

const newClientOrderId = () => `cbm${crypto.randomUUID().replace(/-/g, '').slice(0, 26).toUpperCase()}`;
const time = (iso: string) => new Date(iso).toLocaleString();

function statusClass(status: string): string {
  if (status === 'filled') return 'text-gain';
  if (status === 'rejected' || status === 'unknown') return 'text-loss';
  if (status === 'open' || status === 'partially_filled') return 'text-accent';
  return 'text-muted';
}

export function OrdersPageClient() {
  const trpc = useTRPC();
  const accounts = useQuery(trpc.accounts.list.queryOptions());
  const [accountFilter, setAccountFilter] = useState('');
  const [statusFilter, setStatusFilter] = useState<Status | ''>('');
  const orders = useQuery({
    ...trpc.orders.list.queryOptions({ ...(accountFilter ? { accountId: accountFilter } : {}), ...(statusFilter ? { status: statusFilter } : {}) }),
    refetchInterval: 10_000,
  });
  const accountName = (id: string) => accounts.data?.find((a) => a.id === id)?.name ?? id.slice(0, 8);

  return (
    <>
      <PageHeader title="Orders" description="Place manual orders, follow their fills and state history, cancel resting ones." />
      <div className="grid gap-6 lg:grid-cols-[22rem_1fr]">
        <OrderTicket />
        <Card>
          <CardHeader className="flex-row flex-wrap items-end justify-between gap-3">
            <CardTitle>Orders</CardTitle>
            <div className="flex flex-wrap gap-2">
              <select aria-label="Filter by account" className={`${SELECT_CLASS} w-auto`} value={accountFilter} onChange={(e) => setAccountFilter(e.target.value)}>
                <option value="">All accounts</option>
                {accounts.data?.map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.name}
                  </option>
                ))}
              </select>
              <select aria-label="Filter by status" className={`${SELECT_CLASS} w-auto`} value={statusFilter} onChange={(e) => setStatusFilter(e.target.value as Status | '')}>
                <option value="">All statuses</option>
                {STATUSES.map((s) => (
                  <option key={s} value={s}>
                    {s.replace('_', ' ')}
                  </option>
                ))}
              </select>
            </div>
          </CardHeader>
          <CardContent>
            {orders.isPending ? (
              <div className="space-y-2">
                <Skeleton className="h-8" />
                <Skeleton className="h-8" />
                <Skeleton className="h-8" />
              </div>
            ) : orders.isError ? (
              <ErrorState message="Could not load your orders." retry={() => void orders.refetch()} />
            ) : orders.data.length === 0 ? (
              <EmptyState title="No orders">{accountFilter || statusFilter ? 'No order matches these filters.' : 'Orders you place with the ticket (or your deployments place) appear here.'}</EmptyState>
            ) : (
              <ul className="divide-y divide-border">
                {orders.data.map((order) => (
                  <OrderRow key={order.id} order={order} accountName={accountName(order.accountId)} />
                ))}
              </ul>
            )}
          </CardContent>
        </Card>
      </div>
    </>
  );
}

function OrderRow({ order, accountName }: { order: OrderResponse; accountName: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [confirmCancel, setConfirmCancel] = useState(false);
  const cancel = useMutation(trpc.orders.cancel.mutationOptions());
  const [cancelError, setCancelError] = useState<string | null>(null);
  const detail = useQuery({ ...trpc.orders.get.queryOptions({ id: order.id }), enabled: open });
  const quote = order.symbol.split('/')[1] ?? '';

  async function onCancel() {
    setCancelError(null);
    try {
      await cancel.mutateAsync({ id: order.id });
    } catch (error) {
      setCancelError((error as Error).message);
    }
    setConfirmCancel(false);
    await queryClient.invalidateQueries({ queryKey: trpc.orders.list.queryKey() });
    await queryClient.invalidateQueries({ queryKey: trpc.accounts.balance.queryKey() });
  }

  return (
    <li className="py-3" data-testid="order-row" aria-label={`Order ${order.side} ${order.quantity} ${order.symbol}`}>
      <div className="flex flex-wrap items-center justify-between gap-2 text-sm">
        <div className="min-w-0">
          <span className={order.side === 'buy' ? 'font-medium text-gain' : 'font-medium text-loss'}>{order.side === 'buy' ? '▲ Buy' : '▼ Sell'}</span>{' '}
          <span className="num">{order.quantity}</span> {order.symbol} <span className="text-muted">{order.type.replace('_', ' ')}</span>
          {order.price ? (
            <>
              {' '}
              @ <span className="num">{order.price}</span>
            </>
          ) : null}
          <div className="text-xs text-muted">
            {accountName} · {time(order.createdAt)}
            {order.priceSource ? ` · prices: ${order.priceSource}` : ''}
          </div>
        </div>
        <div className="flex items-center gap-3">
          <div className="text-right">
            <div data-testid="order-status" className={`font-medium ${statusClass(order.status)}`}>
              {order.status.replace('_', ' ')}
            </div>
            {order.averagePrice ? (
              <div className="num text-xs text-muted">
                avg {order.averagePrice} {quote}
              </div>
            ) : null}
          </div>
          {order.status === 'open' || order.status === 'partially_filled' ? (
            <Button size="sm" variant="secondary" onClick={() => setConfirmCancel(true)}>
              Cancel
            </Button>
          ) : null}
          <Button size="sm" variant="ghost" aria-expanded={open} onClick={() => setOpen(!open)}>
            {open ? 'Hide' : 'Details'}
          </Button>
        </div>
      </div>
      {order.statusReason ? <p className="mt-1 text-xs text-muted">Reason: {order.statusReason}</p> : null}
      {cancelError ? <p role="alert" className="mt-1 text-xs text-loss">{cancelError}</p> : null}
      {open ? (
        <div className="mt-3 grid gap-4 rounded-md bg-panel-2 p-3 text-sm md:grid-cols-2">
          {detail.isPending ? (
            <Skeleton className="h-20 md:col-span-2" />
          ) : detail.isError ? (
            <ErrorState message="Could not load this order." />
          ) : (
            <>
              <section aria-label="Fills">
                <h3 className="mb-1 text-xs font-semibold uppercase text-muted">Fills</h3>
                {detail.data.fills.length === 0 ? (
                  <p className="text-muted">No fills.</p>
                ) : (
                  <table className="w-full">
                    <thead className="text-xs text-muted">
                      <tr>
                        <th className="text-left font-normal">Trade</th>
                        <th className="text-right font-normal">Qty</th>
                        <th className="text-right font-normal">Price</th>
                        <th className="text-right font-normal">Fee</th>
                      </tr>
                    </thead>
                    <tbody>
                      {detail.data.fills.map((fill) => (
                        <tr key={fill.tradeId} data-testid="fill-row">
                          <td className="max-w-[8rem] truncate font-mono text-xs" title={fill.tradeId}>
                            {fill.tradeId}
                          </td>
                          <td className="num text-right">{fill.quantity}</td>
                          <td className="num text-right">{fill.price}</td>
                          <td className="num text-right">
                            {fill.fee} {fill.feeCurrency}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
              </section>
              <section aria-label="State history">
                <h3 className="mb-1 text-xs font-semibold uppercase text-muted">State history</h3>
                <ol className="space-y-1">
                  {detail.data.events.map((event, index) => (
                    <li key={index} data-testid="order-event" className="flex justify-between gap-2">
                      <span>
                        {event.fromStatus ? `${event.fromStatus} → ` : ''}
                        <span className="font-medium">{event.toStatus}</span> <span className="text-muted">({event.type})</span>
                      </span>
                      <span className="text-xs text-muted">{new Date(event.createdAt).toLocaleTimeString()}</span>
                    </li>
                  ))}
                </ol>
              </section>
            </>
          )}
        </div>
      ) : null}
      <ConfirmDialog open={confirmCancel} onOpenChange={setConfirmCancel} title="Cancel this order?" confirmLabel="Cancel order" danger pending={cancel.isPending} onConfirm={() => void onCancel()} description={<>
        <p>
          {order.side === 'buy' ? 'Buy' : 'Sell'} {order.quantity} {order.symbol} {order.type}
          {order.price ? ` at ${order.price}` : ''} on {accountName} will be canceled; any funds it reserved are released. Fills already made stay.
        </p>
      </>} />
    </li>
  );
}

function OrderTicket() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const accounts = useQuery(trpc.accounts.list.queryOptions());
  const [accountId, setAccountId] = useState('');
  const [symbol, setSymbol] = useState('BTC/USDT');
  const [side, setSide] = useState<'buy' | 'sell'>('buy');
  const [type, setType] = useState<'market' | 'limit'>('market');
  const [quantity, setQuantity] = useState('');
  const [price, setPrice] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [review, setReview] = useState<{ clientOrderId: string } | null>(null);
  const [placed, setPlaced] = useState<OrderResponse | null>(null);
  const place = useMutation(trpc.orders.place.mutationOptions());

  const account = accounts.data?.find((a) => a.id === accountId) ?? accounts.data?.[0];
  const validSymbol = /^[A-Z0-9]{1,20}\/[A-Z0-9]{1,20}$/.test(symbol);
  const quote = useQuery({ ...trpc.orders.quote.queryOptions({ accountId: account?.id ?? '', symbol }), enabled: !!account && validSymbol, refetchInterval: 15_000 });
  const [base, quoteAsset] = symbol.split('/');

  const estimate = useMemo(() => {
    try {
      const qty = new Decimal(quantity);
      const reference = type === 'limit' ? new Decimal(price) : quote.data?.price ? new Decimal(quote.data.price) : null;
      if (!reference || qty.lte(0) || reference.lte(0)) return null;
      const slippage = type === 'market' && quote.data?.slippage ? new Decimal(quote.data.slippage) : new Decimal(0);
      const fillPrice = side === 'buy' ? reference.mul(new Decimal(1).plus(slippage)) : reference.mul(new Decimal(1).minus(slippage));
      const cost = fillPrice.mul(qty);
      const fee = quote.data?.feeRate ? cost.mul(quote.data.feeRate) : null;
      return { fillPrice: fillPrice.toDecimalPlaces(8).toFixed(), cost: cost.toDecimalPlaces(8).toFixed(), fee: fee ? fee.toDecimalPlaces(8).toFixed() : null };
    } catch {
      return null;
    }
  }, [quantity, price, type, side, quote.data]);

  function input() {
    return { accountId: account?.id ?? '', symbol, side, type, quantity: quantity.trim(), ...(type === 'limit' ? { price: price.trim() } : {}) };
  }

  function onReview(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setFormError(null);
    setPlaced(null);
    const parsed = ZPlaceOrderRequestSchema.safeParse(input());
    if (!parsed.success) {
      setErrors(Object.fromEntries(parsed.error.issues.map((i) => [String(i.path[0]), i.message])));
      return;
    }
    setErrors({});
    setReview({ clientOrderId: newClientOrderId() });
  }

  async function onConfirm() {
    if (!review) return;
    try {
      // The same clientOrderId on a retry: the server returns the stored order instead of placing another.
      const result = await place.mutateAsync({ ...input(), clientOrderId: review.clientOrderId });
      setPlaced(result.order);
      setReview(null);
      setQuantity('');
      await queryClient.invalidateQueries({ queryKey: trpc.orders.list.queryKey() });
      await queryClient.invalidateQueries({ queryKey: trpc.accounts.balance.queryKey() });
    } catch (error) {
      const fields = fieldErrors(error);
      if (Object.keys(fields).length) setErrors(fields);
      else setFormError((error as Error).message);
      setReview(null);
    }
  }

  if (accounts.isPending) return <Skeleton className="h-96" />;
  if (accounts.isError) return <ErrorState message="Could not load your accounts." retry={() => void accounts.refetch()} />;
  if (!accounts.data.length) {
    return (
      <EmptyState title="No account to trade with">
        Add a paper account on the <a className="text-accent underline" href="/accounts">Accounts</a> page first.
      </EmptyState>
    );
  }

  return (
    <Card>
      <CardHeader>
        <CardTitle>New order</CardTitle>
      </CardHeader>
      <CardContent>
        <form className="space-y-3" onSubmit={onReview} noValidate>
          <Field id="ticket-account" label="Account" error={errors.accountId}>
            <select id="ticket-account" className={SELECT_CLASS} value={account?.id ?? ''} onChange={(e) => setAccountId(e.target.value)}>
              {accounts.data.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name} ({a.kind === 'paper' ? 'paper' : a.exchange})
                </option>
              ))}
            </select>
          </Field>
          <Field id="ticket-symbol" label="Symbol" error={errors.symbol}>
            <Input id="ticket-symbol" value={symbol} onChange={(e) => setSymbol(e.target.value.toUpperCase())} aria-invalid={!!errors.symbol} />
          </Field>
          <div role="radiogroup" aria-label="Side" className="grid grid-cols-2 gap-2">
            {(['buy', 'sell'] as const).map((s) => (
              <Button key={s} type="button" role="radio" aria-checked={side === s} variant={side === s ? (s === 'buy' ? 'primary' : 'danger') : 'secondary'} onClick={() => setSide(s)}>
                {s === 'buy' ? 'Buy' : 'Sell'}
              </Button>
            ))}
          </div>
          <Field id="ticket-type" label="Type">
            <select id="ticket-type" className={SELECT_CLASS} value={type} onChange={(e) => setType(e.target.value as 'market' | 'limit')}>
              <option value="market">Market</option>
              <option value="limit">Limit</option>
            </select>
          </Field>
          <Field id="ticket-quantity" label={`Quantity (${base ?? 'base'})`} error={errors.quantity}>
            <Input id="ticket-quantity" inputMode="decimal" className="num text-right" value={quantity} onChange={(e) => setQuantity(e.target.value)} aria-invalid={!!errors.quantity} />
          </Field>
          {type === 'limit' ? (
            <Field id="ticket-price" label={`Limit price (${quoteAsset ?? 'quote'})`} error={errors.price}>
              <Input id="ticket-price" inputMode="decimal" className="num text-right" value={price} onChange={(e) => setPrice(e.target.value)} aria-invalid={!!errors.price} />
            </Field>
          ) : null}

          <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 rounded-md bg-panel-2 p-3 text-sm" aria-label="Estimate">
            <dt className="text-muted">Last price</dt>
            <dd className="num text-right" data-testid="ticket-last-price">
              {quote.isPending ? '…' : quote.data?.price ? `${quote.data.price} ${quoteAsset}` : 'no price'}
            </dd>
            <dt className="text-muted">Price source</dt>
            <dd className="text-right text-xs" data-testid="ticket-price-source">
              {quote.data?.source ?? '—'}
            </dd>
            <dt className="text-muted">Est. {side === 'buy' ? 'cost' : 'proceeds'}</dt>
            <dd className="num text-right" data-testid="ticket-estimated-cost">
              {estimate ? `${estimate.cost} ${quoteAsset}` : '—'}
            </dd>
            <dt className="text-muted">Est. fee</dt>
            <dd className="num text-right" data-testid="ticket-estimated-fee">
              {estimate?.fee ? `${estimate.fee} ${quoteAsset}` : '—'}
            </dd>
          </dl>
          {formError ? <ErrorState title="Order not placed" message={formError} /> : null}
          {placed ? (
            <p role="status" className="text-sm">
              Order {placed.status === 'rejected' ? 'rejected' : 'placed'}: <span className={statusClass(placed.status)}>{placed.status.replace('_', ' ')}</span>
              {placed.statusReason ? ` — ${placed.statusReason}` : ''}
            </p>
          ) : null}
          <Button type="submit" className="w-full">
            Review order
          </Button>
        </form>
      </CardContent>
      <ConfirmDialog open={review !== null} onOpenChange={(o) => !o && setReview(null)} title="Place this order?" confirmLabel="Place order" pending={place.isPending} onConfirm={() => void onConfirm()} description={<>
        <p>
          {side === 'buy' ? 'Buy' : 'Sell'} {quantity} {base} {type === 'market' ? 'at market' : `with a limit of ${price} ${quoteAsset}`} on {account?.name}
          {account?.kind === 'paper' ? ' (paper: no real money)' : ` — a REAL order on ${account?.exchange}`}.
        </p>
        {estimate ? (
          <p>
            Estimated {side === 'buy' ? 'cost' : 'proceeds'} ≈ {estimate.cost} {quoteAsset}
            {estimate.fee ? ` plus a fee of ≈ ${estimate.fee} ${quoteAsset}` : ''}
            {quote.data?.source ? `, priced from the ${quote.data.source}` : ''}.
          </p>
        ) : (
          <p>No price is available to estimate the cost.</p>
        )}
      </>} />
    </Card>
  );
}
