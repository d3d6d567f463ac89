/**
 * Balance effects of paper orders, as signed deltas over (base, quote) × (free, used), so the service can
 * apply them with `UPDATE balances SET free = free + $delta` under a row lock, or use the new balances.
 *
 * - place:  moves the order's reservation from free to used; refuses with "insufficient balance" when free
 *           does not cover it. Buys reserve quantity × price × (1 + feeRate) quote, where price is the limit
 *           price (limit, stop_limit), the stop price × (1 + slippage) (stop_market) or the reference price ×
 *           (1 + slippage) (market); sells reserve the quantity in base.
 * - fill:   releases the reservation and books the trade: a buy pays price × quantity + fee in quote and
 *           receives base; a sell delivers base and receives price × quantity − fee. A buy that costs more
 *           than reserved (a market order filled after a gap) takes the difference from free quote, and is
 *           refused if free quote cannot cover it.
 * - cancel: releases the reservation back to free.
 * Quote amounts are rounded to 18 places against the account (debits up, credits down): paper money is
 * never created by rounding.
 */
import type { Side } from '../fill-model';
import { add, Decimal, formatDecimal, mul, parseDecimal, sub, type DecimalInput } from '../money/decimal';
import { DomainError } from '../money/errors';
import type { PaperOrder } from './matching';

export interface PaperBalances {
  baseFree: string;
  baseUsed: string;
  quoteFree: string;
  quoteUsed: string;
}

/** Signed changes to each balance field. */
export type BalanceDelta = PaperBalances;

/** What placing the order set aside; store it with the order, fills and cancels release exactly this. */
export interface Reservation {
  currency: 'base' | 'quote';
  amount: string;
}

export type BalanceEffect =
  { ok: true; delta: BalanceDelta; balances: PaperBalances } | { ok: false; reason: 'insufficient balance'; required: string; available: string };

/** Placing succeeds with the reservation to store on the order, or is refused. */
export type PlaceOrderEffect =
  | { ok: true; delta: BalanceDelta; balances: PaperBalances; reservation: Reservation }
  | { ok: false; reason: 'insufficient balance'; required: string; available: string };

const ZERO_DELTA: BalanceDelta = { baseFree: '0', baseUsed: '0', quoteFree: '0', quoteUsed: '0' };
const FIELDS = ['baseFree', 'baseUsed', 'quoteFree', 'quoteUsed'] as const;

const debit = (value: Decimal) => value.toDecimalPlaces(18, Decimal.ROUND_CEIL);
const credit = (value: Decimal) => value.toDecimalPlaces(18, Decimal.ROUND_FLOOR);

function delta(changes: Partial<Record<keyof BalanceDelta, DecimalInput>>): BalanceDelta {
  const result = { ...ZERO_DELTA };
  for (const field of FIELDS) {
    const change = changes[field];
    if (change !== undefined) result[field] = formatDecimal(change);
  }
  return result;
}

/** balances + delta; a field going negative is a bug in the caller (or a lost race), so it throws. */
export function applyBalanceDelta(balances: PaperBalances, change: BalanceDelta): PaperBalances {
  const result = { ...balances };
  for (const field of FIELDS) {
    const next = add(parseDecimal(balances[field], field), parseDecimal(change[field], `delta.${field}`, { allowNegative: true }));
    if (next.isNegative()) throw new DomainError(field, `would become negative (${formatDecimal(next)})`);
    result[field] = formatDecimal(next);
  }
  return result;
}

function effect(balances: PaperBalances, change: BalanceDelta): BalanceEffect {
  return { ok: true, delta: change, balances: applyBalanceDelta(balances, change) };
}

/** The quote price a buy reserves at (see the module comment). */
function reservationPrice(order: PaperOrder, referencePrice: string | undefined, slippage: number): Decimal {
  const withSlippage = (price: Decimal) => mul(price, add(1, decimalFromFraction(slippage, 'slippage')));
  switch (order.type) {
    case 'limit':
    case 'stop_limit':
      if (!order.limitPrice) throw new DomainError('limitPrice', `is required for a ${order.type} order`);
      return parseDecimal(order.limitPrice, 'limitPrice', { allowZero: false });
    case 'stop_market':
      if (!order.stopPrice) throw new DomainError('stopPrice', 'is required for a stop_market order');
      return withSlippage(parseDecimal(order.stopPrice, 'stopPrice', { allowZero: false }));
    case 'market':
      if (referencePrice === undefined) throw new DomainError('referencePrice', 'is required to reserve for a market buy');
      return withSlippage(parseDecimal(referencePrice, 'referencePrice', { allowZero: false }));
  }
}

function decimalFromFraction(value: number, field: string): Decimal {
  if (!(Number.isFinite(value) && value >= 0 && value < 1)) throw new DomainError(field, 'must be a fraction in [0, 1)');
  return parseDecimal(value, field);
}

/** The reservation for placing `order`; `referencePrice` (e.g. the last price) is needed for market buys. */
export function reservationFor(order: PaperOrder, params: { feeRate: number; slippage: number; referencePrice?: string }): Reservation {
  const quantity = parseDecimal(order.quantity, 'quantity', { allowZero: false });
  if (order.side === 'sell') return { currency: 'base', amount: formatDecimal(quantity) };
  const price = reservationPrice(order, params.referencePrice, params.slippage);
  const feeRate = decimalFromFraction(params.feeRate, 'feeRate');
  return { currency: 'quote', amount: formatDecimal(debit(mul(mul(quantity, price), add(1, feeRate)))) };
}

/** Placing an order: reserve its funds, or refuse with "insufficient balance". */
export function placeOrderEffect(
  balances: PaperBalances,
  order: PaperOrder,
  params: { feeRate: number; slippage: number; referencePrice?: string },
): PlaceOrderEffect {
  const reservation = reservationFor(order, params);
  const free = parseDecimal(reservation.currency === 'base' ? balances.baseFree : balances.quoteFree, 'free');
  if (parseDecimal(reservation.amount, 'reservation').gt(free)) {
    return { ok: false, reason: 'insufficient balance', required: reservation.amount, available: formatDecimal(free) };
  }
  const change =
    reservation.currency === 'base'
      ? delta({ baseFree: sub(0, reservation.amount), baseUsed: reservation.amount })
      : delta({ quoteFree: sub(0, reservation.amount), quoteUsed: reservation.amount });
  return { ok: true, delta: change, balances: applyBalanceDelta(balances, change), reservation };
}

/** Filling an order completely at `fill.price` (quote per base) with `fill.fee` in quote. */
export function fillOrderEffect(
  balances: PaperBalances,
  side: Side,
  reservation: Reservation,
  fill: { price: string; quantity: string; fee: string },
): BalanceEffect {
  const price = parseDecimal(fill.price, 'fill.price', { allowZero: false });
  const quantity = parseDecimal(fill.quantity, 'fill.quantity', { allowZero: false });
  const fee = parseDecimal(fill.fee, 'fill.fee');
  const reserved = parseDecimal(reservation.amount, 'reservation.amount');

  if (side === 'buy') {
    if (reservation.currency !== 'quote') throw new DomainError('reservation.currency', 'a buy reserves quote');
    const cost = add(debit(mul(price, quantity)), fee);
    const available = add(reserved, parseDecimal(balances.quoteFree, 'quoteFree'));
    if (cost.gt(available)) {
      return { ok: false, reason: 'insufficient balance', required: formatDecimal(cost), available: formatDecimal(available) };
    }
    return effect(balances, delta({ quoteUsed: sub(0, reserved), quoteFree: sub(reserved, cost), baseFree: quantity }));
  }

  if (reservation.currency !== 'base') throw new DomainError('reservation.currency', 'a sell reserves base');
  if (!quantity.eq(reserved)) throw new DomainError('fill.quantity', 'a paper fill covers the whole reserved quantity');
  const proceeds = sub(credit(mul(price, quantity)), fee);
  return effect(balances, delta({ baseUsed: sub(0, reserved), quoteFree: proceeds }));
}

/** Canceling (or expiring, or rejecting after placement): the reservation goes back to free. */
export function cancelOrderEffect(balances: PaperBalances, reservation: Reservation): BalanceEffect {
  const amount = parseDecimal(reservation.amount, 'reservation.amount');
  return effect(
    balances,
    reservation.currency === 'base' ? delta({ baseUsed: sub(0, amount), baseFree: amount }) : delta({ quoteUsed: sub(0, amount), quoteFree: amount }),
  );
}
