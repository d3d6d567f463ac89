/**
 * The order state machine: one exhaustive transition table (state × event → state) as data, and a pure
 * `applyOrderEvent` that every writer of an order's status goes through (services, worker, reconciler,
 * paper exchange). Anything the table does not list throws `InvalidTransitionError`.
 *
 * docs/orders.md shows the same table; a test keeps the two identical.
 */
import { add, compare, div, formatDecimal, mul, parseDecimal, toDecimal } from '../money/decimal';
import { DomainError } from '../money/errors';
import { renderMarkdownTable } from '../markdown-table';

export const ORDER_STATUSES = ['new', 'open', 'partially_filled', 'filled', 'canceled', 'rejected', 'expired', 'unknown'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const TERMINAL_STATUSES: readonly OrderStatus[] = ['filled', 'canceled', 'rejected', 'expired'];

/** Terminal statuses never change again (a late fill may still add quantity to canceled/expired, see the table). */
export function isTerminal(status: OrderStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export const ORDER_EVENT_TYPES = [
  'sent_ack',
  'send_rejected',
  'send_ambiguous',
  'fill',
  'canceled',
  'expired',
  'rejected',
  'reconciled_open',
  'reconciled_filled',
  'reconciled_canceled',
  'reconciled_expired',
  'reconciled_rejected',
  'reconciled_not_found',
] as const;
export type OrderEventType = (typeof ORDER_EVENT_TYPES)[number];

/** One trade against the order, as the exchange reports it. */
export interface OrderFill {
  /** The exchange's trade id; with the order's exchange, the fill's idempotency key. */
  tradeId: string;
  /** Base quantity of this trade (> 0). */
  quantity: string;
  /** Quote per base (> 0). */
  price: string;
  /** Fee charged for this trade; `cost` may be negative (maker rebate). */
  fee?: { cost: string; currency: string };
  /** When the trade executed (ms UTC), if the exchange says; a replayed paper trade carries the feed's time. */
  timeMs?: number;
}

export type OrderEvent =
  /** The exchange accepted the order (createOrder returned). */
  | { type: 'sent_ack'; exchangeOrderId: string }
  /** createOrder failed with a definite rejection (invalid order, insufficient funds): nothing exists. */
  | { type: 'send_rejected'; reason: string }
  /** createOrder's outcome is unknown (timeout, 5xx, worker died mid-call): the order may exist. */
  | { type: 'send_ambiguous'; reason: string }
  | { type: 'fill'; fill: OrderFill }
  | { type: 'canceled'; reason?: string }
  | { type: 'expired'; reason?: string }
  /** Rejected by the exchange after acknowledging it (e.g. a post-only order that would cross). */
  | { type: 'rejected'; reason: string }
  /** Reconciliation found the order on the exchange, resting (its trades are applied first as `fill`s). */
  | { type: 'reconciled_open'; exchangeOrderId: string }
  | { type: 'reconciled_filled'; exchangeOrderId: string }
  | { type: 'reconciled_canceled'; exchangeOrderId: string }
  | { type: 'reconciled_expired'; exchangeOrderId: string }
  | { type: 'reconciled_rejected'; reason: string }
  /** Reconciliation did not find the order by its clientOrderId: it never reached the book. */
  | { type: 'reconciled_not_found' };

type TransitionTable = {
  readonly [S in OrderStatus]: { readonly [E in OrderEventType]?: readonly OrderStatus[] };
};

/**
 * state × event → the statuses the event may lead to. Where two are listed, the cumulative filled quantity
 * decides (0 → open, between → partially_filled, all → filled). A pair that is absent is invalid.
 *
 * Decisions (see docs/orders.md):
 * - No pending-cancel state: a cancel request changes nothing until the exchange confirms `canceled`;
 *   fills racing the request are ordinary fills. The service may record "cancel requested at" for the UI.
 * - Fills while `unknown` are recorded but keep the order `unknown`: only a `reconciled_*` event settles it.
 * - `reconciled_not_found` → `rejected` (reason "not found on exchange"): it never reached the book, which for
 *   balances, positions and risk is exactly a rejection. No ninth status for the schema and UI to carry.
 * - `canceled`/`expired` accept late fills (trades that executed before the cancel but were reported after)
 *   without changing status: dropping them would leave positions and balances wrong.
 */
export const ORDER_TRANSITIONS: TransitionTable = {
  new: {
    sent_ack: ['open'],
    send_rejected: ['rejected'],
    send_ambiguous: ['unknown'],
  },
  open: {
    fill: ['partially_filled', 'filled'],
    canceled: ['canceled'],
    expired: ['expired'],
    rejected: ['rejected'],
  },
  partially_filled: {
    fill: ['partially_filled', 'filled'],
    canceled: ['canceled'],
    expired: ['expired'],
  },
  unknown: {
    fill: ['unknown'],
    reconciled_open: ['open', 'partially_filled'],
    reconciled_filled: ['filled'],
    reconciled_canceled: ['canceled'],
    reconciled_expired: ['expired'],
    reconciled_rejected: ['rejected'],
    reconciled_not_found: ['rejected'],
  },
  filled: {},
  canceled: { fill: ['canceled'] },
  rejected: {},
  expired: { fill: ['expired'] },
};

/** The order as the state machine sees it; decimals are canonical strings (as in Postgres `numeric`). */
export interface OrderState {
  status: OrderStatus;
  /** ccxt exchange id or "paper": half of each fill's idempotency key. */
  exchange: string;
  /** Ordered base quantity (> 0). */
  quantity: string;
  /** Sum of applied fills' quantities; never exceeds `quantity`. */
  filledQuantity: string;
  /** Sum of price × quantity over applied fills, in quote, exact (store as `numeric` without scale). */
  filledCost: string;
  /** filledCost / filledQuantity to 18 decimal places, null before the first fill. */
  averageFillPrice: string | null;
  /** Fee totals by currency, e.g. { USDT: "0.064" }. */
  fees: Readonly<Record<string, string>>;
  /** fillKey(exchange, tradeId) of every applied fill (load them from the fills table). */
  appliedFillKeys: readonly string[];
  exchangeOrderId: string | null;
  /** Why the order reached its status, where there is a reason (rejections, ambiguity, cancels). */
  statusReason: string | null;
}

export type OrderEventResult =
  | { outcome: 'applied'; order: OrderState }
  /** The fill's (exchange, tradeId) was applied before: nothing changed. */
  | { outcome: 'duplicate_fill'; order: OrderState };

export class InvalidTransitionError extends DomainError {
  override readonly name = 'InvalidTransitionError';
  readonly from: OrderStatus;
  readonly event: OrderEventType;

  constructor(from: OrderStatus, event: OrderEventType, detail?: string) {
    super('order.status', `cannot apply "${event}" to an order that is ${from}${detail ? `: ${detail}` : ''}`, 'invalid_transition');
    this.from = from;
    this.event = event;
  }
}

export class OverfillError extends DomainError {
  override readonly name = 'OverfillError';

  constructor(quantity: string, filledQuantity: string, fillQuantity: string) {
    super('fill.quantity', `a fill of ${fillQuantity} would take the filled quantity from ${filledQuantity} past the order's ${quantity}`, 'overfill');
  }
}

/** The unique key of a fill: the DB's unique index must use the same pair. */
export function fillKey(exchange: string, tradeId: string): string {
  return `${exchange}:${tradeId}`;
}

/** A freshly written order (`new`, nothing sent yet). */
export function newOrderState(input: { exchange: string; quantity: string }): OrderState {
  if (input.exchange.length === 0) throw new DomainError('exchange', 'must not be empty');
  return {
    status: 'new',
    exchange: input.exchange,
    quantity: formatDecimal(parseDecimal(input.quantity, 'quantity', { allowZero: false })),
    filledQuantity: '0',
    filledCost: '0',
    averageFillPrice: null,
    fees: {},
    appliedFillKeys: [],
    exchangeOrderId: null,
    statusReason: null,
  };
}

/** Which status the cumulative filled quantity implies among open / partially_filled / filled. */
function statusByFill(filledQuantity: string, quantity: string): OrderStatus {
  if (compare(filledQuantity, 0) === 0) return 'open';
  return compare(filledQuantity, quantity) === 0 ? 'filled' : 'partially_filled';
}

/** What each status requires of the filled quantity; the table's targets are checked against it. */
function violatesFillInvariant(status: OrderStatus, filledQuantity: string, quantity: string): string | null {
  const implied = statusByFill(filledQuantity, quantity);
  switch (status) {
    case 'new':
    case 'open':
    case 'rejected':
      return implied === 'open' ? null : `${filledQuantity} of ${quantity} is already filled`;
    case 'partially_filled':
      return implied === 'partially_filled' ? null : `the filled quantity is ${filledQuantity} of ${quantity}`;
    case 'filled':
      return implied === 'filled' ? null : `only ${filledQuantity} of ${quantity} is filled: apply the order's trades as fills first`;
    case 'canceled':
    case 'expired':
    case 'unknown':
      return null;
  }
}

function applyFill(order: OrderState, fill: OrderFill): OrderState {
  const quantity = parseDecimal(fill.quantity, 'fill.quantity', { allowZero: false });
  const price = parseDecimal(fill.price, 'fill.price', { allowZero: false });
  const filledQuantity = add(order.filledQuantity, quantity);
  if (filledQuantity.gt(toDecimal(order.quantity))) {
    throw new OverfillError(order.quantity, order.filledQuantity, formatDecimal(quantity));
  }
  const filledCost = add(order.filledCost, mul(price, quantity));
  const fees = { ...order.fees };
  if (fill.fee) {
    if (fill.fee.currency.length === 0) throw new DomainError('fill.fee.currency', 'must not be empty');
    const cost = parseDecimal(fill.fee.cost, 'fill.fee.cost', { allowNegative: true });
    fees[fill.fee.currency] = formatDecimal(add(fees[fill.fee.currency] ?? '0', cost));
  }
  return {
    ...order,
    filledQuantity: formatDecimal(filledQuantity),
    filledCost: formatDecimal(filledCost),
    averageFillPrice: formatDecimal(div(filledCost, filledQuantity).toDecimalPlaces(18)),
    fees,
    appliedFillKeys: [...order.appliedFillKeys, fillKey(order.exchange, fill.tradeId)],
  };
}

function reasonOf(event: OrderEvent): string | null {
  switch (event.type) {
    case 'send_rejected':
    case 'send_ambiguous':
    case 'rejected':
    case 'reconciled_rejected':
      return event.reason;
    case 'canceled':
    case 'expired':
      return event.reason ?? null;
    case 'reconciled_not_found':
      return 'not found on exchange';
    default:
      return null;
  }
}

/**
 * Applies one event to an order and returns the new order; the input is never mutated.
 * Throws `InvalidTransitionError` for a pair outside the table (or a target whose fill invariant fails),
 * `OverfillError` when a fill would exceed the order's quantity, `DomainError` for an invalid fill value.
 * A fill whose (exchange, tradeId) was already applied is a no-op in any status: `duplicate_fill`.
 */
export function applyOrderEvent(order: OrderState, event: OrderEvent): OrderEventResult {
  if (event.type === 'fill') {
    if (event.fill.tradeId.length === 0) throw new DomainError('fill.tradeId', 'must not be empty');
    if (order.appliedFillKeys.includes(fillKey(order.exchange, event.fill.tradeId))) {
      return { outcome: 'duplicate_fill', order };
    }
  }
  const targets = ORDER_TRANSITIONS[order.status][event.type];
  if (!targets) throw new InvalidTransitionError(order.status, event.type);

  let next: OrderState = { ...order };
  if (event.type === 'fill') next = applyFill(order, event.fill);
  if ('exchangeOrderId' in event) next.exchangeOrderId = event.exchangeOrderId;

  const status = targets.length === 1 ? targets[0]! : statusByFill(next.filledQuantity, next.quantity);
  if (!targets.includes(status)) {
    throw new InvalidTransitionError(order.status, event.type, `the filled quantity implies ${status}`);
  }
  const violation = violatesFillInvariant(status, next.filledQuantity, next.quantity);
  if (violation) throw new InvalidTransitionError(order.status, event.type, violation);

  next.status = status;
  const reason = reasonOf(event);
  if (reason !== null) next.statusReason = reason;
  return { outcome: 'applied', order: next };
}

/** The transition table as a Markdown table (docs/orders.md embeds exactly this). */
export function renderTransitionTable(): string {
  const rows = ORDER_STATUSES.map((status) => [
    `**${status}**`,
    ...ORDER_EVENT_TYPES.map((event) => {
      const targets = ORDER_TRANSITIONS[status][event];
      return targets ? targets.join(' / ') : '—';
    }),
  ]);
  return renderMarkdownTable(['state \\ event', ...ORDER_EVENT_TYPES.map((e) => `\`${e}\``)], rows);
}
