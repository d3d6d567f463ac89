/**
 * The order path (docs/orders.md): write the order as `new` with its clientOrderId, THEN call the exchange, then
 * apply its answer through the state machine. Every transition is an order_events row; fills are applied once
 * (unique (order, trade id); a duplicate is a no-op); every change is announced once, at its commit.
 *
 * `executeOrder` is the one way to execute an order, for every caller (manual orders, deployment ticks, signals):
 * - paper accounts (paper.ts): the whole path in one transaction with the paper exchange, the caller's (a tick's)
 *   or one of its own;
 * - real exchanges (live.ts): the `new` row committed before the call; a lost answer leaves the order `unknown`.
 */
import type { Db, DbOrTx } from '@/db/client';
import { orders } from '@/db/schema';
import { eq } from 'drizzle-orm';
import { AppError } from '@/server/core/errors';
import { CLIENT_ORDER_ID_PATTERN, manualClientOrderId } from '@/server/core/orders';
import { isExchangeError } from '@/server/exchange/errors';
import { exchangeFor, findOwnedAccount, isUuid, PAPER_EXCHANGE, type AccountRow } from '@/server/services/accounts';
import type { AppEvent } from '@/server/services/events';
import { applyOrderEvents, notifyOrder, orderEvent } from './apply';
import { placeLiveOrder } from './live';
import type { PaperOrderStatements } from './order-batch-sql';
import { toOrderViews, type OrderDeps, type OrderRow, type PlaceOrderInput } from './model';
import type { OrderView } from './views';
import { paperAccount, paperSaleQuantity, placePaperOrder, placePaperOrderInTx, type PaperOrderInput } from './paper';
import { PaperExchange } from './paper-exchange';
import { defaultPaperPriceSource, type PaperPriceSource } from './price-source';
import { findOwnedOrder, orderFills, type ExecutedFill } from './queries';

export interface ExecuteOrderOptions {
  /**
   * Paper only: the caller's open transaction, to run the order in (a deployment tick's, which holds the kill switch
   * latches and its deployment row already). Without it a paper order runs in a transaction of its own.
   */
  tx?: DbOrTx;
  /** Paper: the price the order fills near (default: deps.prices, else stored candles or the simulated market). */
  prices?: PaperPriceSource;
  /**
   * The quantity is what the caller wants at most: a live order is rounded down to the market's amount step (null
   * when nothing is left), a paper sale never asks for more than the account's free base.
   */
  fitQuantity?: boolean;
  /**
   * Live: a market order its answer did not settle (acknowledged without trades, or the answer lost) is looked up
   * on the exchange once, at once (a deployment needs its fill to go on); otherwise the reconciler settles it.
   */
  settleAtOnce?: boolean;
  /** With `tx`: the order's event is handed to the caller, to send with its own statements at its commit. */
  announce?: (event: AppEvent) => void;
  /** With `tx`, paper: a batch of ticks sends the order's two statements with its other members' (order-batch-sql.ts). */
  statements?: PaperOrderStatements;
  deps?: OrderDeps;
}

/** An executed order: the stored row, whether this call created it (false: a retry), and its fills. */
export interface ExecutedOrder {
  order: OrderRow;
  created: boolean;
  fills: ExecutedFill[];
}

/**
 * Executes this order for this account: the stored order with its fills, its events sent exactly once. Null only
 * with `fitQuantity`, when nothing is left to order. Throws LeaseLostError when a deployment's fence does not hold,
 * the kill switch's error when trading is halted (nothing is written either way).
 */
export async function executeOrder(
  db: Db,
  userId: string,
  account: AccountRow,
  input: PaperOrderInput,
  options: ExecuteOrderOptions = {},
): Promise<ExecutedOrder | null> {
  const deps = options.deps ?? {};
  if (account.exchange !== PAPER_EXCHANGE) {
    if (options.tx) throw new Error('a live order is never placed inside a transaction: its row is committed before the exchange is called');
    const placed = await placeLiveOrder(db, userId, account, input, { fitQuantity: options.fitQuantity, settleAtOnce: options.settleAtOnce, deps });
    return placed && { ...placed, fills: await orderFills(db, placed.order.id) };
  }
  const on = options.tx ?? db;
  const prices = options.prices ?? (deps.prices ?? defaultPaperPriceSource)(on);
  if (options.fitQuantity && input.side === 'sell') input = { ...input, quantity: await paperSaleQuantity(on, account.id, input.symbol, input.quantity) };
  let placed;
  if (options.tx) {
    placed = await placePaperOrderInTx(options.tx, userId, account, input, prices, deps.clock, options.statements);
    if (placed.created && options.announce) options.announce(orderEvent(placed.order));
    else if (placed.created) await notifyOrder(options.tx, placed.order);
  } else {
    placed = await placePaperOrder(db, userId, account, input, prices, { clock: deps.clock, notify: true });
  }
  const { order, created, trades } = placed;
  const fills = created
    ? trades.map((f) => ({ quantity: f.quantity, price: f.price, fee: f.fee?.cost ?? '0', feeCurrency: f.fee?.currency ?? null }))
    : await orderFills(on, order.id);
  return { order, created, fills };
}

const fail = (field: string, message: string): never => {
  throw AppError.validation([{ field, message }]);
};

function validateShape(input: PlaceOrderInput, account: AccountRow): void {
  if (input.type === 'market' && input.price !== undefined) fail('price', 'a market order takes no price');
  if ((input.type === 'limit' || input.type === 'stop_limit') && input.price === undefined) fail('price', `is required for a ${input.type} order`);
  if (input.type === 'stop_limit' && input.stopPrice === undefined) fail('stopPrice', 'is required for a stop_limit order');
  if (input.type !== 'stop_limit' && input.stopPrice !== undefined) fail('stopPrice', 'is only for stop_limit orders');
  if (input.type === 'stop_limit' && account.exchange !== PAPER_EXCHANGE) fail('type', 'stop_limit orders are paper-only for now');
  if (input.clientOrderId !== undefined && !CLIENT_ORDER_ID_PATTERN.test(input.clientOrderId)) fail('clientOrderId', 'must be 1–32 letters and digits');
  if (input.deploymentId !== undefined && !isUuid(input.deploymentId)) fail('deploymentId', 'must be a uuid');
}

/** A user's order (manual, the API): validated, then executed; `created` is false for a retry of the same order. */
export async function placeOrder(db: Db, userId: string, input: PlaceOrderInput, deps: OrderDeps = {}): Promise<{ order: OrderView; created: boolean }> {
  const account = await findOwnedAccount(db, userId, input.accountId);
  validateShape(input, account);
  const executed = await executeOrder(db, userId, account, { ...input, clientOrderId: input.clientOrderId ?? manualClientOrderId() }, { deps });
  return { order: (await toOrderViews([executed!.order]))[0]!, created: executed!.created };
}

/** Cancels a resting order. Paper: at once, reservation released. Real: the exchange's answer decides. */
export async function cancelOrder(db: Db, userId: string, orderId: string, deps: OrderDeps = {}): Promise<OrderView> {
  const row = await findOwnedOrder(db, userId, orderId);
  if (row.status !== 'open' && row.status !== 'partially_filled') {
    throw new AppError('CONFLICT', `the order is ${row.status}: only open orders can be canceled`);
  }
  const account = await findOwnedAccount(db, userId, row.accountId);
  if (account.exchange === PAPER_EXCHANGE) {
    const canceled = await db.transaction(async (tx) => {
      await tx.update(orders).set({ cancelRequestedAt: new Date() }).where(eq(orders.id, orderId));
      const exchange = new PaperExchange(tx, paperAccount(account), (deps.prices ?? defaultPaperPriceSource)(tx), deps.clock);
      try {
        await exchange.cancelOrder({ clientOrderId: row.clientOrderId }, row.symbol);
      } catch (error) {
        if (isExchangeError(error)) throw new AppError('CONFLICT', error.message);
        throw error;
      }
      const { order } = await applyOrderEvents(tx, orderId, [{ type: 'canceled', reason: 'canceled by the user' }]);
      await notifyOrder(tx, order);
      return order;
    });
    return (await toOrderViews([canceled]))[0]!;
  }
  await db.update(orders).set({ cancelRequestedAt: new Date() }).where(eq(orders.id, orderId));
  const { exchange } = exchangeFor(account, deps);
  try {
    const answer = await exchange.cancelOrder({ clientOrderId: row.clientOrderId }, row.symbol);
    if (answer.status === 'canceled') {
      const { order } = await db.transaction(async (tx) => {
        const result = await applyOrderEvents(tx, orderId, [{ type: 'canceled', reason: 'canceled by the user' }]);
        await notifyOrder(tx, result.order);
        return result;
      });
      return (await toOrderViews([order]))[0]!;
    }
  } catch (error) {
    if (isExchangeError(error) && error.kind !== 'ambiguous')
      throw new AppError(error.kind === 'retryable' ? 'UNAVAILABLE' : 'CONFLICT', `the exchange did not cancel the order: ${error.message}`);
    if (!isExchangeError(error)) throw error;
  }
  // Ambiguous or not yet confirmed: the order stays as it is until the exchange reports (no pending state).
  return (await toOrderViews([await findOwnedOrder(db, userId, orderId)]))[0]!;
}
