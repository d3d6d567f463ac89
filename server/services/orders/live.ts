/**
 * The live order path (docs/orders.md): a real exchange is called with no transaction open, so the `new` row is
 * committed FIRST (a crash or a lost answer can never cause a second order), then the exchange is called, then its
 * answer is applied through the state machine. A lost answer (timeout, 5xx) leaves the order `unknown` for the
 * reconciler. A repeated request with the same clientOrderId returns the stored order and never calls the exchange
 * again. With `settleAtOnce` (a deployment needs the fill to go on), a market order the exchange acknowledged without
 * its trades (ccxt leaves them to a lookup), or whose answer was lost, is looked up once, at once, and settled from
 * what the exchange says (settle.ts); what that does not settle, the reconciler does.
 *
 * The account's credentials are decrypted once per order: one exchange client for the market, the send and the lookup.
 */
import type { Db } from '@/db/client';
import { AppError } from '@/server/core/errors';
import { Decimal } from '@/server/core/money';
import { isTerminal, type OrderEvent } from '@/server/core/orders';
import { isExchangeError } from '@/server/exchange/errors';
import { logger } from '@/server/logger';
import { exchangeFor, type AccountRow } from '@/server/services/accounts';
import { crashPoint } from '@/server/services/faults';
import { assertTradingAllowed } from '@/server/services/kill-switch/latch';
import { answerEvents, applyOrderEvents, notifyOrder, sendFailureEvent, withConflictRetry } from './apply';
import type { OrderDeps, OrderRow, PlaceOrderInput } from './model';
import { insertNewOrder } from './new-order';
import { lookUpOrder, settleFromExchange } from './settle';

type Client = ReturnType<typeof exchangeFor>['exchange'];

/**
 * Places `input` on the account's exchange and applies the answer; with `fitQuantity` the quantity is first rounded
 * down to the market's amount step, so the stored order is exactly what the exchange receives (null: nothing left).
 */
export async function placeLiveOrder(
  db: Db,
  userId: string,
  account: AccountRow,
  input: PlaceOrderInput & { clientOrderId: string },
  options: { fitQuantity?: boolean; settleAtOnce?: boolean; deps?: OrderDeps } = {},
): Promise<{ order: OrderRow; created: boolean } | null> {
  const deps = options.deps ?? {};
  let client: Client | undefined;
  // Decrypted on first use: an unusable credential after the row is written rejects the order, never sent.
  const connect = () => (client ??= exchangeFor(account, deps).exchange);
  if (options.fitQuantity) {
    const { amountStep } = await connect().market(input.symbol);
    if (amountStep !== null) {
      const rounded = new Decimal(input.quantity).div(amountStep).floor().times(amountStep);
      if (rounded.lte(0)) return null;
      input = { ...input, quantity: rounded.toFixed() };
    }
  }
  const { clientOrderId } = input;
  const { row, created } = await withConflictRetry(() => db.transaction((tx) => insertNewOrder(tx, userId, account, input, clientOrderId)));
  const settled = (order: OrderRow) => (options.settleAtOnce ? settleMarketOrder(db, order, connect, deps) : order);
  if (!created) return { order: await settled(row), created };
  crashPoint('order.after_write');
  let events: OrderEvent[];
  try {
    // KILL SWITCH GUARD (live): a latch engaged since the row was written stops the send (the order is rejected).
    await assertTradingAllowed(db, userId);
    if (input.type === 'stop_limit') throw new Error('unreachable: stop_limit orders are paper-only');
    const answer = await connect().createOrder({
      symbol: input.symbol,
      side: input.side,
      type: input.type,
      amount: input.quantity,
      price: input.price,
      clientOrderId,
    });
    events = answerEvents(answer);
  } catch (error) {
    if (error instanceof AppError)
      events = [{ type: 'send_rejected', reason: error.message }]; // e.g. credentials unusable: never sent
    else events = [sendFailureEvent(error)];
    logger.warn(
      { orderId: row.id, clientOrderId, accountId: account.id, event: events[0]!.type, reason: (events[0] as { reason?: string }).reason },
      'order send failed',
    );
  }
  // Only database work from here: applying the answer again after a collision is safe (fills are applied once).
  const { order } = await withConflictRetry(() =>
    db.transaction(async (tx) => {
      const result = await applyOrderEvents(tx, row.id, events);
      await notifyOrder(tx, result.order);
      return result;
    }),
  );
  return { order: await settled(order), created };
}

/**
 * A market order that is not settled yet (acknowledged without its trades, or its answer lost) is looked up on the
 * exchange once and settled from what it says. A `new` order's send may still be in flight elsewhere: left to the
 * reconciler, as is anything the lookup cannot settle (its failure is logged, the order stays as it is).
 */
async function settleMarketOrder(db: Db, order: OrderRow, connect: () => Client, deps: OrderDeps): Promise<OrderRow> {
  if (order.type !== 'market' || order.status === 'new' || isTerminal(order.status)) return order;
  try {
    const exchange = connect();
    return (await settleFromExchange(db, exchange, order, await lookUpOrder(exchange, order), { now: Date.now(), notFoundGraceMs: deps.notFoundGraceMs }))
      .order;
  } catch (error) {
    if (!isExchangeError(error) && !(error instanceof AppError)) throw error;
    logger.warn({ orderId: order.id, accountId: order.accountId, reason: error.message }, 'looking up a market order failed; the reconciler settles it');
    return order;
  }
}
