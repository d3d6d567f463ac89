/**
 * Settling a live order from what the exchange says about it (docs/orders.md "Reconciliation"): its trades are
 * applied as fills (once: unique (order, trade id)), then the event the exchange's status implies, through the
 * order state machine, in one transaction under the order's row lock, and only if its status did not change since
 * the caller read it. The reconciler does this for every unsettled order of an account; the live order path does it
 * for one market order acknowledged without its trades (live.ts).
 */
import { eq } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { orders } from '@/db/schema';
import { compare, formatDecimal } from '@/server/core/money';
import type { OrderEvent, OrderFill } from '@/server/core/orders';
import { isExchangeError } from '@/server/exchange/errors';
import type { ExchangeOrder, ExchangeTrade, Execution, TradeHistory } from '@/server/exchange/ports';
import { applyOrderEvents, notifyOrder } from './apply';
import type { OrderRow } from './model';

export const DEFAULT_NOT_FOUND_GRACE_MS = 30_000;
const NEW_ORDER_AMBIGUOUS_REASON = 'worker restarted before recording the send';

function toFill(trade: ExchangeTrade): OrderFill {
  return {
    tradeId: trade.id,
    quantity: trade.amount,
    price: trade.price,
    ...(trade.fee ? { fee: { cost: trade.fee.cost, currency: trade.fee.currency } } : {}),
    ...(trade.timeMs !== null ? { timeMs: trade.timeMs } : {}),
  };
}

type Settlement = { event: OrderEvent } | { pending: string; alert?: 'missing_on_exchange' } | null;

/**
 * The status event the exchange's view implies for an order whose trades are applied (`order`), or why
 * there is none yet. `null`: nothing to do (the fills said it all, or nothing changed).
 */
function settlement(order: OrderRow, found: ExchangeOrder | null, ageMs: number, notFoundGraceMs: number): Settlement {
  const unknown = order.status === 'unknown';
  if (!found) {
    if (!unknown) return { pending: 'acknowledged earlier, but the exchange does not know this order (archived?)', alert: 'missing_on_exchange' };
    if (ageMs < notFoundGraceMs)
      return { pending: `not on the exchange yet; concluded "not found" ${Math.round(notFoundGraceMs / 1000)} s after it was written` };
    return { event: { type: 'reconciled_not_found' } };
  }
  const filledHere = formatDecimal(order.filledQuantity);
  const tradesComplete = found.filled === null || compare(found.filled, order.filledQuantity) === 0;
  const incomplete = `the exchange reports ${found.filled ?? '?'} filled, ${filledHere} of ${formatDecimal(order.quantity)} applied from its trades`;
  switch (found.status) {
    case 'open':
      return unknown ? { event: { type: 'reconciled_open', exchangeOrderId: found.id } } : null;
    case 'closed':
      if (order.status === 'filled') return null;
      if (!unknown || !tradesComplete || compare(order.filledQuantity, order.quantity) !== 0) return { pending: incomplete };
      return { event: { type: 'reconciled_filled', exchangeOrderId: found.id } };
    case 'canceled':
    case 'expired':
      // Terminal here means no later pass looks at it: settle only with every trade applied.
      if (order.status === 'filled') return null;
      if (!tradesComplete) return { pending: incomplete };
      if (unknown)
        return {
          event:
            found.status === 'canceled'
              ? { type: 'reconciled_canceled', exchangeOrderId: found.id }
              : { type: 'reconciled_expired', exchangeOrderId: found.id },
        };
      return { event: { type: found.status, reason: `${found.status} on the exchange` } };
    case 'rejected':
      if (unknown) return { event: { type: 'reconciled_rejected', reason: 'rejected by the exchange' } };
      if (order.status === 'open') return { event: { type: 'rejected', reason: 'rejected by the exchange' } };
      return { pending: `the exchange says rejected, but ${filledHere} is filled` };
    default:
      return { pending: 'the exchange reports no final status yet' };
  }
}

export interface SettleOutcome {
  /** The order as it is now (unchanged when nothing was written). */
  order: OrderRow;
  changed: boolean;
  fillsApplied: number;
  notFound: boolean;
  /** Why the order is not settled yet (a later pass looks again). */
  pending?: string;
  /** Acknowledged earlier, unknown to the exchange now: worth an alert. */
  alert?: 'missing_on_exchange';
}

/** Settles one order in one transaction, under its row lock; nothing is written if its status moved meanwhile. */
async function settleOrder(
  db: Db,
  row: OrderRow,
  found: ExchangeOrder | null,
  trades: ExchangeTrade[],
  now: number,
  notFoundGraceMs: number,
): Promise<SettleOutcome> {
  return db.transaction(async (tx) => {
    const [current] = await tx.select().from(orders).where(eq(orders.id, row.id)).limit(1).for('update');
    if (!current || current.status !== row.status) {
      return {
        order: current ?? row,
        changed: false,
        fillsApplied: 0,
        notFound: false,
        pending: `changed during the pass (now ${current?.status ?? 'deleted'}); looked at again next pass`,
      };
    }
    let order = current;
    let changed = false;
    let fillsApplied = 0;
    if (order.status === 'new') {
      order = (await applyOrderEvents(tx, order.id, [{ type: 'send_ambiguous', reason: NEW_ORDER_AMBIGUOUS_REASON }])).order;
      changed = true;
    }
    // Consecutive trades of the same liquidity go together (applyOrderEvents records one liquidity per call).
    for (let i = 0; i < trades.length;) {
      const liquidity = trades[i]!.takerOrMaker;
      let j = i;
      while (j < trades.length && trades[j]!.takerOrMaker === liquidity) j++;
      const applied = await applyOrderEvents(
        tx,
        order.id,
        trades.slice(i, j).map((t) => ({ type: 'fill' as const, fill: toFill(t) })),
        liquidity ? { liquidity } : {},
      );
      order = applied.order;
      fillsApplied += applied.applied;
      i = j;
    }
    changed ||= fillsApplied > 0;
    const settle = settlement(order, found, now - order.createdAt.getTime(), notFoundGraceMs);
    if (settle && 'event' in settle) {
      order = (await applyOrderEvents(tx, order.id, [settle.event])).order;
      changed = true;
    }
    // Open pages learn of it as of any other writer's change: one event per order settled, at the commit.
    if (changed) await notifyOrder(tx, order);
    if (settle && 'event' in settle) return { order, changed: true, fillsApplied, notFound: settle.event.type === 'reconciled_not_found' };
    return { order, changed, fillsApplied, notFound: false, ...(settle ? { pending: settle.pending, ...(settle.alert ? { alert: settle.alert } : {}) } : {}) };
  });
}

/** The exchange's view of an order: by its exchange id, else by its clientOrderId; null when the exchange does not know it. */
export async function lookUpOrder(exchange: Pick<Execution, 'fetchOrder'>, row: OrderRow): Promise<ExchangeOrder | null> {
  try {
    return await exchange.fetchOrder(row.exchangeOrderId ? { id: row.exchangeOrderId } : { clientOrderId: row.clientOrderId }, row.symbol);
  } catch (error) {
    if (!isExchangeError(error) || error.kind !== 'not_found') throw error;
    return null;
  }
}

/**
 * Settles `row` from the exchange's view of it (`found`, from lookUpOrder or a list of open orders): its trades
 * are fetched only when the exchange's filled quantity differs from ours (an unchanged order costs no request).
 * Never call it with a transaction open.
 */
export async function settleFromExchange(
  db: Db,
  exchange: TradeHistory,
  row: OrderRow,
  found: ExchangeOrder | null,
  options: { now: number; notFoundGraceMs?: number },
): Promise<SettleOutcome> {
  if (found && (found.symbol !== row.symbol || found.side !== row.side)) {
    return {
      order: row,
      changed: false,
      fillsApplied: 0,
      notFound: false,
      pending: `the exchange's order ${found.id} is ${found.side} ${found.symbol}, not this order`,
    };
  }
  const needTrades = found !== null && (found.filled === null || compare(found.filled, row.filledQuantity) !== 0);
  const trades = needTrades
    ? (await exchange.fetchOrderTrades(found!.id, row.symbol, row.createdAt.getTime() - 60_000)).filter((t) => compare(t.amount, 0) > 0)
    : [];
  return settleOrder(db, row, found, trades, options.now, options.notFoundGraceMs ?? DEFAULT_NOT_FOUND_GRACE_MS);
}
