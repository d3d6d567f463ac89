/**
 * Applying events to a stored order (docs/orders.md): each through the order state machine (server/core/orders),
 * each recorded in order_events; fills inserted once (unique (order, trade id): a repeated trade is a no-op).
 * Every writer of orders (the paper path, the live path, settlement, cancels, the kill switch) goes through here,
 * and announces the change with `notifyOrder`, once, at its commit.
 */
import { eq } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { databaseUnavailableReason, isRetryableConflict } from '@/db/errors';
import { fills, orderEvents, orders } from '@/db/schema';
import { AppError } from '@/server/core/errors';
import { formatDecimal } from '@/server/core/money';
import { applyOrderEvent, fillKey, type OrderEvent, type OrderFill, type OrderState } from '@/server/core/orders';
import { isExchangeError } from '@/server/exchange/errors';
import type { ExchangeOrder } from '@/server/exchange/ports';
import { logger } from '@/server/logger';
import { notifyEvent, orderEvent as orderAppEvent, type OrderAppEvent } from '@/server/services/events';
import type { EventValues, FillValues, OrderStateValues } from './order-sql';
import type { OrderRow } from './model';
import type { ExchangeOrderWithTrades } from './paper-exchange';

/** The state machine's view of an order row and the trade ids already applied to it. */
export function orderState(row: OrderRow, appliedTradeIds: readonly string[]): OrderState {
  return {
    status: row.status,
    exchange: row.exchange,
    quantity: formatDecimal(row.quantity),
    filledQuantity: formatDecimal(row.filledQuantity),
    filledCost: formatDecimal(row.filledCost),
    averageFillPrice: row.averagePrice === null ? null : formatDecimal(row.averagePrice),
    fees: row.fees,
    appliedFillKeys: appliedTradeIds.map((tradeId) => fillKey(row.exchange, tradeId)),
    exchangeOrderId: row.exchangeOrderId,
    statusReason: row.statusReason,
  };
}

export interface ApplyResult {
  order: OrderRow;
  applied: number;
  duplicates: number;
}

/**
 * Applies events to an order under a row lock, in the caller's transaction: each through the state machine,
 * each recorded in order_events; fills inserted once (a repeated trade id is a no-op, counted as duplicate).
 */
export async function applyOrderEvents(tx: DbOrTx, orderId: string, events: OrderEvent[], meta: { liquidity?: 'maker' | 'taker' } = {}): Promise<ApplyResult> {
  const [row] = await tx.select().from(orders).where(eq(orders.id, orderId)).limit(1).for('update');
  if (!row) throw AppError.notFound('order');
  const applied0 = await tx.select({ tradeId: fills.tradeId }).from(fills).where(eq(fills.orderId, row.id));
  let state = orderState(
    row,
    applied0.map((f) => f.tradeId),
  );
  const eventRows: Array<typeof orderEvents.$inferInsert> = [];
  let applied = 0;
  let duplicates = 0;
  for (const event of events) {
    const result = applyOrderEvent(state, event);
    if (result.outcome === 'duplicate_fill') {
      duplicates++;
      continue;
    }
    if (event.type === 'fill') {
      const { executedAt, ...values } = fillValues(event.fill, meta);
      const inserted = await tx
        .insert(fills)
        .values({ orderId, accountId: row.accountId, ...values, ...(executedAt ? { executedAt } : {}) })
        .onConflictDoNothing()
        .returning({ id: fills.id });
      if (inserted.length === 0) {
        duplicates++;
        continue;
      }
    }
    eventRows.push({ orderId, ...eventValues(state, result.order, event) });
    state = result.order;
    applied++;
  }
  if (eventRows.length > 0) await tx.insert(orderEvents).values(eventRows);
  const [updated] = await tx.update(orders).set(stateValues(state)).where(eq(orders.id, orderId)).returning();
  return { order: updated!, applied, duplicates };
}

/** Applies trades reported for an order (the reconciler's entry point); a trade applied before is a no-op. */
export async function recordFills(db: Db, orderId: string, trades: OrderFill[]): Promise<ApplyResult> {
  return db.transaction((tx) =>
    applyOrderEvents(
      tx,
      orderId,
      trades.map((fill) => ({ type: 'fill' as const, fill })),
    ),
  );
}

export function fillValues(fill: OrderFill, meta: { liquidity?: 'maker' | 'taker' }): FillValues {
  return {
    tradeId: fill.tradeId,
    quantity: fill.quantity,
    price: fill.price,
    fee: fill.fee?.cost ?? '0',
    feeCurrency: fill.fee?.currency ?? null,
    liquidity: meta.liquidity ?? null,
    executedAt: fill.timeMs !== undefined ? new Date(fill.timeMs) : null,
  };
}

export function eventValues(before: OrderState, after: OrderState, event: OrderEvent): EventValues {
  return {
    type: event.type,
    fromStatus: before.status,
    toStatus: after.status,
    reason: after.statusReason !== before.statusReason ? after.statusReason : null,
    details:
      event.type === 'fill'
        ? { tradeId: event.fill.tradeId, quantity: event.fill.quantity, price: event.fill.price }
        : 'exchangeOrderId' in event
          ? { exchangeOrderId: event.exchangeOrderId }
          : {},
  };
}

export function stateValues(state: OrderState): OrderStateValues {
  return {
    status: state.status,
    statusReason: state.statusReason,
    exchangeOrderId: state.exchangeOrderId,
    filledQuantity: state.filledQuantity,
    filledCost: state.filledCost,
    averagePrice: state.averageFillPrice,
    fees: { ...state.fees },
    updatedAt: new Date(),
  };
}

export const createdEvent = (clientOrderId: string): EventValues => ({
  type: 'created',
  fromStatus: null,
  toStatus: 'new',
  reason: null,
  details: { clientOrderId },
});

/** The events an exchange's answer to createOrder implies: the ack, then its trades (if it reported any). */
export function answerEvents(answer: ExchangeOrder | ExchangeOrderWithTrades): OrderEvent[] {
  const events: OrderEvent[] = [{ type: 'sent_ack', exchangeOrderId: answer.id }];
  for (const trade of 'trades' in answer ? answer.trades : []) events.push({ type: 'fill', fill: trade });
  return events;
}

export function sendFailureEvent(error: unknown): OrderEvent {
  if (isExchangeError(error)) {
    // Ambiguous: the order may exist. Anything else (rejected, fatal, refused before processing): it does not.
    return error.kind === 'ambiguous' ? { type: 'send_ambiguous', reason: error.message } : { type: 'send_rejected', reason: error.message };
  }
  return { type: 'send_ambiguous', reason: 'unexpected error while sending; the order may exist' };
}

/** Tells the user's open pages (events.stream) that an order changed; delivered only if the transaction commits. */
export async function notifyOrder(db: DbOrTx, order: OrderRow): Promise<void> {
  await notifyEvent(db, orderEvent(order));
}

export const orderEvent = (order: Pick<OrderRow, 'userId' | 'id' | 'status' | 'deploymentId'>): OrderAppEvent =>
  orderAppEvent({ userId: order.userId, orderId: order.id, status: order.status, deploymentId: order.deploymentId });

/** Runs a transaction again after a deadlock or serialization failure (it was rolled back whole), at most `attempts` times. */
export async function withConflictRetry<T>(run: () => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (attempt >= attempts || !isRetryableConflict(error)) throw error;
      logger.info({ attempt, reason: databaseUnavailableReason(error) }, 'transaction collided; running it again');
      // A few ms, growing and jittered, so the colliding transactions do not collide again.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
    }
  }
}
