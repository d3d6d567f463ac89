/**
 * Reading orders: lists, one order with its fills and events, the quote a ticket shows. Nothing here writes:
 * resting paper orders are matched by the reconciler's paper pass (syncPaperOrders), live orders settled by the
 * live path and the reconciler; each change reaches open pages as an order event.
 */
import { and, asc, desc, eq, type SQL } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { deployments, fills, orderEvents, orders } from '@/db/schema';
import { AppError } from '@/server/core/errors';
import { formatDecimal } from '@/server/core/money';
import type { OrderStatus } from '@/server/core/orders';
import { exchangeFor, findOwnedAccount, isUuid, PAPER_EXCHANGE } from '@/server/services/accounts';
import { toOrderViews, type OrderDeps, type OrderRow } from './model';
import type { OrderDetail, OrderView } from './views';
import { markOfTicker, markPrice } from './mark';
import { marketPrecision } from '@/server/services/market-data/precision';

export interface OrderFilters {
  accountId?: string;
  status?: OrderStatus;
  deploymentId?: string;
  limit?: number;
}

export async function listOrders(db: Db, userId: string, filters: OrderFilters = {}): Promise<OrderView[]> {
  // Filtering by an account that is not the caller's is NOT_FOUND, as addressing it directly would be.
  if (filters.accountId) await findOwnedAccount(db, userId, filters.accountId);
  if (filters.deploymentId) {
    // Filtering by a deployment that is not the caller's is NOT_FOUND too.
    const [owned] = isUuid(filters.deploymentId)
      ? await db
          .select({ id: deployments.id })
          .from(deployments)
          .where(and(eq(deployments.id, filters.deploymentId), eq(deployments.userId, userId)))
          .limit(1)
      : [];
    if (!owned) throw AppError.notFound('deployment');
  }
  const where: SQL[] = [eq(orders.userId, userId)];
  if (filters.accountId) where.push(eq(orders.accountId, filters.accountId));
  if (filters.status) where.push(eq(orders.status, filters.status));
  if (filters.deploymentId) where.push(eq(orders.deploymentId, filters.deploymentId));
  const rows = await db
    .select()
    .from(orders)
    .where(and(...where))
    .orderBy(desc(orders.createdAt), desc(orders.id))
    .limit(filters.limit ?? 200);
  return toOrderViews(rows);
}

export async function findOwnedOrder(db: DbOrTx, userId: string, orderId: string): Promise<OrderRow> {
  if (!isUuid(orderId)) throw AppError.notFound('order');
  const [row] = await db
    .select()
    .from(orders)
    .where(and(eq(orders.id, orderId), eq(orders.userId, userId)))
    .limit(1);
  if (!row) throw AppError.notFound('order');
  return row;
}

export async function getOrder(db: Db, userId: string, orderId: string): Promise<OrderDetail> {
  const row = await findOwnedOrder(db, userId, orderId);
  const [[view], fillRows, eventRows] = await Promise.all([
    toOrderViews([row]),
    db.select().from(fills).where(eq(fills.orderId, orderId)).orderBy(asc(fills.id)),
    db.select().from(orderEvents).where(eq(orderEvents.orderId, orderId)).orderBy(asc(orderEvents.id)),
  ]);
  return {
    ...view!,
    fills: fillRows.map((f) => ({
      tradeId: f.tradeId,
      quantity: formatDecimal(f.quantity),
      price: formatDecimal(f.price),
      fee: formatDecimal(f.fee),
      feeCurrency: f.feeCurrency,
      liquidity: f.liquidity,
      executedAt: f.executedAt.toISOString(),
    })),
    events: eventRows.map((e) => ({ type: e.type, fromStatus: e.fromStatus, toStatus: e.toStatus, reason: e.reason, createdAt: e.createdAt.toISOString() })),
  };
}

/** What a fill of an order amounts to, for its placer (a deployment books it): decimal strings as stored. */
export interface ExecutedFill {
  quantity: string;
  price: string;
  fee: string;
  feeCurrency: string | null;
}

/** The stored fills of an order, in the order they were applied. */
export async function orderFills(db: DbOrTx, orderId: string): Promise<ExecutedFill[]> {
  return db
    .select({ quantity: fills.quantity, price: fills.price, fee: fills.fee, feeCurrency: fills.feeCurrency })
    .from(fills)
    .where(eq(fills.orderId, orderId))
    .orderBy(asc(fills.id));
}

/**
 * The price a ticket would fill near, and where it comes from, for the estimated cost before confirming: the
 * market's mark (mark.ts), the same price the portfolio values positions at.
 */
export async function quoteOrder(db: Db, userId: string, input: { accountId: string; symbol: string }, deps: OrderDeps = {}) {
  const account = await findOwnedAccount(db, userId, input.accountId);
  const { priceTick, amountStep } = await marketPrecision(account.exchange, input.symbol);
  if (account.exchange === PAPER_EXCHANGE) {
    const mark = await markPrice(db, input.symbol, deps);
    return {
      priceTick,
      amountStep,
      accountId: account.id,
      symbol: input.symbol,
      price: mark?.price ?? null,
      source: mark?.source ?? null,
      mark,
      feeRate: account.feeRate ? formatDecimal(account.feeRate) : '0',
      slippage: account.slippage ? formatDecimal(account.slippage) : '0',
    };
  }
  try {
    const { exchange } = exchangeFor(account, deps);
    const mark = markOfTicker(account.exchange, await exchange.fetchTicker(input.symbol));
    return {
      accountId: account.id,
      symbol: input.symbol,
      price: mark?.price ?? null,
      source: mark?.source ?? null,
      mark,
      feeRate: null,
      slippage: null,
      priceTick,
      amountStep,
    };
  } catch {
    return { accountId: account.id, symbol: input.symbol, price: null, source: null, mark: null, feeRate: null, slippage: null, priceTick, amountStep };
  }
}
