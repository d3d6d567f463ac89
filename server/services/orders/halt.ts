/**
 * Canceling orders when the kill switch engages (docs/trading.md "Kill switch"): the orders' side of it.
 *
 * - Paper orders are canceled inside the engage's transaction (it is all PostgreSQL: the reservation is released
 *   with the order's state), so none can fill after the engage commits.
 * - Orders on real exchanges cannot be canceled inside a transaction (never a network call with a transaction
 *   open): the engage marks them `cancel_requested_at` in its transaction, and after the commit
 *   `cancelRequestedOrder` asks the exchange. What that does not finish (an error, an order still `new` or
 *   `unknown`) the reconciler finishes: it cancels every open order it finds marked (server/services/reconcile).
 *
 * Locks: orders rows in creation order, each before its account's balance rows (as syncPaperOrders does).
 */
import { and, asc, eq, inArray, isNotNull, ne, type SQL } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { exchangeAccounts, orders } from '@/db/schema';
import { isExchangeError } from '@/server/exchange/errors';
import { exchangeFor, PAPER_EXCHANGE, type AccountRow } from '@/server/services/accounts';
import { applyOrderEvents, notifyOrder } from './apply';
import { OPEN_STATUSES, type OrderDeps, type OrderRow } from './model';
import { PaperExchange } from './paper-exchange';
import { defaultPaperPriceSource } from './price-source';

const scoped = (userId: string | null, ...where: SQL[]) => and(...(userId === null ? [] : [eq(orders.userId, userId)]), ...where);

/**
 * Cancels the open paper orders of `userId` (null: of every user) in the caller's transaction, releasing their
 * reservations; each is announced at the commit. Returns the canceled orders.
 */
export async function cancelOpenPaperOrders(tx: DbOrTx, userId: string | null, reason: string, now: Date, deps: OrderDeps = {}): Promise<OrderRow[]> {
  // Locked here, so an order that filled meanwhile drops out (its status is checked again on the locked row).
  const open = await tx
    .select({ order: orders, account: exchangeAccounts })
    .from(orders)
    .innerJoin(exchangeAccounts, eq(exchangeAccounts.id, orders.accountId))
    .where(scoped(userId, eq(orders.exchange, PAPER_EXCHANGE), eq(orders.status, 'open')))
    .orderBy(asc(orders.createdAt), asc(orders.id))
    .for('update', { of: orders });
  const canceled: OrderRow[] = [];
  for (const { order, account } of open) {
    if (!order.reservation) continue;
    await tx.update(orders).set({ cancelRequestedAt: now }).where(eq(orders.id, order.id));
    const exchange = new PaperExchange(tx, paperAccountOf(account), (deps.prices ?? defaultPaperPriceSource)(tx), deps.clock);
    await exchange.cancelOrder({ clientOrderId: order.clientOrderId }, order.symbol);
    const { order: updated } = await applyOrderEvents(tx, order.id, [{ type: 'canceled', reason }]);
    await notifyOrder(tx, updated);
    canceled.push(updated);
  }
  return canceled;
}

const paperAccountOf = (row: AccountRow) => ({ id: row.id, feeRate: row.feeRate ?? '0.001', slippage: row.slippage ?? '0.0005' });

/**
 * Marks every unsettled order of `userId` (null: of every user) on a real exchange as cancel-requested, in the
 * caller's transaction. Returns them; the caller asks the exchange after its commit (cancelRequestedOrder).
 */
export async function requestExchangeCancels(tx: DbOrTx, userId: string | null, now: Date): Promise<OrderRow[]> {
  return tx
    .update(orders)
    .set({ cancelRequestedAt: now })
    .where(scoped(userId, ne(orders.exchange, PAPER_EXCHANGE), inArray(orders.status, OPEN_STATUSES)))
    .returning();
}

/**
 * Asks the exchange to cancel an order marked cancel-requested, if it is open or partially filled; applies the
 * confirmation with `reason`. Returns what happened; an ambiguous answer leaves the order as it is (the
 * reconciler asks again). Never call it with a transaction open.
 */
export async function cancelRequestedOrder(db: Db, orderId: string, reason: string, deps: OrderDeps = {}): Promise<'canceled' | 'not_open' | 'pending'> {
  const [row] = await db
    .select({ order: orders, account: exchangeAccounts })
    .from(orders)
    .innerJoin(exchangeAccounts, eq(exchangeAccounts.id, orders.accountId))
    .where(eq(orders.id, orderId))
    .limit(1);
  if (!row || row.order.cancelRequestedAt === null || (row.order.status !== 'open' && row.order.status !== 'partially_filled')) return 'not_open';
  const { exchange } = exchangeFor(row.account, deps);
  try {
    const answer = await exchange.cancelOrder({ clientOrderId: row.order.clientOrderId }, row.order.symbol);
    if (answer.status !== 'canceled') return 'pending';
  } catch (error) {
    if (isExchangeError(error) && (error.kind === 'ambiguous' || error.kind === 'retryable')) return 'pending';
    throw error;
  }
  await db.transaction(async (tx) => {
    const [current] = await tx.select({ status: orders.status }).from(orders).where(eq(orders.id, orderId)).for('update');
    if (current?.status !== 'open' && current?.status !== 'partially_filled') return;
    const { order } = await applyOrderEvents(tx, orderId, [{ type: 'canceled', reason }]);
    await notifyOrder(tx, order);
  });
  return 'canceled';
}

/** Open orders of a real-exchange account that still carry a cancel request (the reconciler's to-do). */
export async function requestedCancelsOf(db: DbOrTx, accountId: string): Promise<string[]> {
  const rows = await db
    .select({ id: orders.id })
    .from(orders)
    .where(
      and(
        eq(orders.accountId, accountId),
        inArray(orders.status, ['open', 'partially_filled']),
        isNotNull(orders.cancelRequestedAt),
        ne(orders.exchange, PAPER_EXCHANGE),
      ),
    )
    .orderBy(asc(orders.createdAt), asc(orders.id));
  return rows.map((r) => r.id);
}
