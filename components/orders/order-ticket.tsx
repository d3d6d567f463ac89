'use client';

import { formatFee, formatMoney, formatPrice } from '@/components/format';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Decimal from 'decimal.js';
import { useMemo, useState, type FormEvent } from 'react';
import { fieldErrors, useTRPC } from '@/components/trpc/client';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { Field, Input } from '@/components/ui/input';
import { EmptyState, ErrorState, Skeleton } from '@/components/ui/states';
import { ZPlaceOrderRequestSchema, type OrderResponse } from '@/server/api/schemas/orders';
import { useTradingHalted } from '@/components/deployments/use-kill-switch';
import { MarkLabel } from '@/components/market-data/mark-label';
import { statusClass } from './order-row';

export const SELECT_CLASS = 'h-9 w-full rounded-md border border-border bg-panel-2 px-3 text-sm text-fg focus:border-accent focus:outline-none';

type OrderType = 'market' | 'limit' | 'stop_limit';

const newClientOrderId = () => `cbm${crypto.randomUUID().replace(/-/g, '').slice(0, 26).toUpperCase()}`;

/**
 * The manual order ticket: market, limit, and stop-limit where the account's exchange supports it (the paper
 * exchange; real exchanges get it when the order path does). Shows the estimated cost and fee, and confirms
 * with exactly what will be sent; a retry reuses the clientOrderId, so it never places twice.
 */
export function OrderTicket() {
  const halted = useTradingHalted();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const accounts = useQuery(trpc.accounts.list.queryOptions());
  const [accountId, setAccountId] = useState('');
  const [symbol, setSymbol] = useState('BTC/USDT');
  const [side, setSide] = useState<'buy' | 'sell'>('buy');
  const [type, setType] = useState<OrderType>('market');
  const [quantity, setQuantity] = useState('');
  const [price, setPrice] = useState('');
  const [stopPrice, setStopPrice] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [review, setReview] = useState<{ clientOrderId: string } | null>(null);
  const [placed, setPlaced] = useState<OrderResponse | null>(null);
  const place = useMutation(trpc.orders.place.mutationOptions());

  const account = accounts.data?.find((a) => a.id === accountId) ?? accounts.data?.[0];
  const stopLimitSupported = account?.kind === 'paper';
  const effectiveType: OrderType = type === 'stop_limit' && !stopLimitSupported ? 'limit' : type;
  const validSymbol = /^[A-Z0-9]{1,20}\/[A-Z0-9]{1,20}$/.test(symbol);
  const quote = useQuery({
    ...trpc.orders.quote.queryOptions({ accountId: account?.id ?? '', symbol }),
    enabled: !!account && validSymbol,
    refetchInterval: 15_000,
  });
  const [base, quoteAsset] = symbol.split('/');

  const estimate = useMemo(() => {
    try {
      const qty = new Decimal(quantity);
      const reference = effectiveType !== 'market' ? new Decimal(price) : quote.data?.price ? new Decimal(quote.data.price) : null;
      if (!reference || qty.lte(0) || reference.lte(0)) return null;
      const slippage = effectiveType === 'market' && quote.data?.slippage ? new Decimal(quote.data.slippage) : new Decimal(0);
      const fillPrice = side === 'buy' ? reference.mul(new Decimal(1).plus(slippage)) : reference.mul(new Decimal(1).minus(slippage));
      const cost = fillPrice.mul(qty);
      const fee = quote.data?.feeRate ? cost.mul(quote.data.feeRate) : null;
      return { fillPrice: fillPrice.toDecimalPlaces(8).toFixed(), cost: cost.toDecimalPlaces(8).toFixed(), fee: fee ? fee.toDecimalPlaces(8).toFixed() : null };
    } catch {
      return null;
    }
  }, [quantity, price, effectiveType, side, quote.data]);

  function input() {
    return {
      accountId: account?.id ?? '',
      symbol,
      side,
      type: effectiveType,
      quantity: quantity.trim(),
      ...(effectiveType !== 'market' ? { price: price.trim() } : {}),
      ...(effectiveType === 'stop_limit' ? { stopPrice: stopPrice.trim() } : {}),
    };
  }

  function onReview(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setFormError(null);
    setPlaced(null);
    const parsed = ZPlaceOrderRequestSchema.safeParse(input());
    const issues = parsed.success ? [] : parsed.error.issues.map((i) => [String(i.path[0]), i.message] as const);
    if (effectiveType === 'stop_limit' && !stopPrice.trim()) issues.push(['stopPrice', 'is required for a stop-limit order']);
    if (effectiveType !== 'market' && !price.trim()) issues.push(['price', `is required for a ${effectiveType.replace('_', '-')} order`]);
    if (issues.length) {
      setErrors(Object.fromEntries(issues));
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
      await queryClient.invalidateQueries({ queryKey: trpc.portfolio.pathKey() });
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
        Add a paper account on the{' '}
        <a className="text-accent underline" href="/accounts">
          Accounts
        </a>{' '}
        page first.
      </EmptyState>
    );
  }

  const what =
    effectiveType === 'market'
      ? 'at market'
      : effectiveType === 'limit'
        ? `with a limit of ${price} ${quoteAsset}`
        : `when the price reaches the stop of ${stopPrice} ${quoteAsset}, then with a limit of ${price} ${quoteAsset}`;

  return (
    <Card>
      <CardHeader>
        <CardTitle>New order</CardTitle>
      </CardHeader>
      <CardContent>
        <form className="space-y-3" onSubmit={onReview} noValidate aria-label="New order">
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
              <Button
                key={s}
                type="button"
                role="radio"
                aria-checked={side === s}
                variant={side === s ? (s === 'buy' ? 'primary' : 'danger') : 'secondary'}
                onClick={() => setSide(s)}
              >
                {s === 'buy' ? 'Buy' : 'Sell'}
              </Button>
            ))}
          </div>
          <Field
            id="ticket-type"
            label="Type"
            error={errors.type}
            hint={
              stopLimitSupported
                ? undefined
                : `Stop-limit orders are available on paper accounts; ${account?.exchange ?? 'this exchange'} takes market and limit orders here.`
            }
          >
            <select id="ticket-type" className={SELECT_CLASS} value={effectiveType} onChange={(e) => setType(e.target.value as OrderType)}>
              <option value="market">Market</option>
              <option value="limit">Limit</option>
              {stopLimitSupported ? <option value="stop_limit">Stop-limit</option> : null}
            </select>
          </Field>
          <Field id="ticket-quantity" label={`Quantity (${base ?? 'base'})`} error={errors.quantity}>
            <Input
              id="ticket-quantity"
              inputMode="decimal"
              className="num text-right"
              value={quantity}
              onChange={(e) => setQuantity(e.target.value)}
              aria-invalid={!!errors.quantity}
            />
          </Field>
          {effectiveType === 'stop_limit' ? (
            <Field
              id="ticket-stop-price"
              label={`Stop price (${quoteAsset ?? 'quote'})`}
              error={errors.stopPrice}
              hint="The limit order is placed when the price reaches this."
            >
              <Input
                id="ticket-stop-price"
                inputMode="decimal"
                className="num text-right"
                value={stopPrice}
                onChange={(e) => setStopPrice(e.target.value)}
                aria-invalid={!!errors.stopPrice}
              />
            </Field>
          ) : null}
          {effectiveType !== 'market' ? (
            <Field id="ticket-price" label={`Limit price (${quoteAsset ?? 'quote'})`} error={errors.price}>
              <Input
                id="ticket-price"
                inputMode="decimal"
                className="num text-right"
                value={price}
                onChange={(e) => setPrice(e.target.value)}
                aria-invalid={!!errors.price}
              />
            </Field>
          ) : null}

          <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 rounded-md bg-panel-2 p-3 text-sm" aria-label="Estimate">
            <dt className="text-muted">Last price</dt>
            <dd className="num text-right" data-testid="ticket-last-price">
              {quote.isPending && quote.fetchStatus !== 'idle'
                ? '…'
                : quote.data?.price
                  ? formatPrice(quote.data.price, { priceTick: quote.data.priceTick, currency: quoteAsset })
                  : 'no price'}
            </dd>
            <dt className="text-muted">Price source</dt>
            <dd className="text-right text-xs" data-testid="ticket-price-source">
              {quote.data?.source ?? '—'}
            </dd>
            <dd className="col-span-2 text-right text-xs text-muted">
              <MarkLabel mark={quote.data?.mark} priceTick={quote.data?.priceTick} />
            </dd>
            <dt className="text-muted">Est. {side === 'buy' ? 'cost' : 'proceeds'}</dt>
            <dd className="num text-right" data-testid="ticket-estimated-cost">
              {estimate ? formatMoney(estimate.cost, quoteAsset) : '—'}
            </dd>
            <dt className="text-muted">Est. fee</dt>
            <dd className="num text-right" data-testid="ticket-estimated-fee">
              {estimate?.fee ? formatFee(estimate.fee, quoteAsset) : '—'}
            </dd>
          </dl>
          {formError ? <ErrorState title="Order not placed" message={formError} /> : null}
          {placed ? (
            <p role="status" className="text-sm">
              Order {placed.status === 'rejected' ? 'rejected' : 'placed'}:{' '}
              <span className={statusClass(placed.status)}>{placed.status.replace('_', ' ')}</span>
              {placed.statusReason ? ` — ${placed.statusReason}` : ''}
            </p>
          ) : null}
          {halted ? (
            <p role="status" data-testid="trading-halted" className="rounded-md border border-loss/40 bg-loss/10 p-2 text-sm text-loss">
              {halted}
            </p>
          ) : null}
          <Button type="submit" className="w-full" disabled={halted !== null} title={halted ?? undefined}>
            Review order
          </Button>
        </form>
      </CardContent>
      <ConfirmDialog
        open={review !== null}
        onOpenChange={(o) => !o && setReview(null)}
        title="Place this order?"
        confirmLabel="Place order"
        pending={place.isPending}
        onConfirm={() => void onConfirm()}
        description={
          <>
            <p>
              {side === 'buy' ? 'Buy' : 'Sell'} {quantity} {base} {what} on {account?.name}
              {account?.kind === 'paper' ? ' (paper: no real money)' : ` — a REAL order on ${account?.exchange}`}.
            </p>
            {estimate ? (
              <p>
                Estimated {side === 'buy' ? 'cost' : 'proceeds'} ≈ {formatMoney(estimate.cost, quoteAsset)}
                {estimate.fee ? ` plus a fee of ≈ ${formatFee(estimate.fee, quoteAsset)}` : ''}
                {quote.data?.source ? `, priced from the ${quote.data.source}` : ''}.
              </p>
            ) : (
              <p>No price is available to estimate the cost.</p>
            )}
          </>
        }
      />
    </Card>
  );
}
