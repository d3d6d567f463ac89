/**
 * Writing a `new` order row, the first write of every order (docs/orders.md): the kill switch latches read
 * FOR SHARE first, the deployment fence, then the row (or the stored order with the same clientOrderId: a retry).
 */
import { and, eq } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { orderEvents, orders } from '@/db/schema';
import { AppError } from '@/server/core/errors';
import { compare } from '@/server/core/money';
import type { AccountRow } from '@/server/services/accounts';
import { haltingLatch, killSwitchError } from '@/server/services/kill-switch/latch';
import { createdEvent } from './apply';
import { LeaseLostError, type OrderRow, type PlaceOrderInput } from './model';
import type { PaperOrderStatements } from './order-batch-sql';
import { insertedOrder, insertOrderStatement, type LockedBalance, type NewOrderValues } from './order-sql';

/** Whether a stored order is the same request (a retry) or a different order reusing the id. */
function sameRequest(row: OrderRow, input: PlaceOrderInput): boolean {
  const eqDec = (a: string | null, b: string | undefined) => (a === null || b === undefined ? a === null && b === undefined : compare(a, b) === 0);
  return (
    row.symbol === input.symbol &&
    row.side === input.side &&
    row.type === input.type &&
    compare(row.quantity, input.quantity) === 0 &&
    eqDec(row.price, input.price) &&
    eqDec(row.stopPrice, input.stopPrice)
  );
}

export const fenceOf = (input: PlaceOrderInput) =>
  input.deploymentId !== undefined && input.fenceEpoch !== undefined ? { deploymentId: input.deploymentId, epoch: input.fenceEpoch } : undefined;

export function newOrderValues(userId: string, account: AccountRow, input: PlaceOrderInput, clientOrderId: string): NewOrderValues {
  return {
    accountId: account.id,
    userId,
    deploymentId: input.deploymentId ?? null,
    clientOrderId,
    exchange: account.exchange,
    symbol: input.symbol,
    side: input.side,
    type: input.type,
    quantity: input.quantity,
    price: input.price ?? null,
    stopPrice: input.stopPrice ?? null,
  };
}

/** The stored order a taken clientOrderId belongs to, if it is the same request; a different one is a CONFLICT. */
export async function storedRetry(tx: DbOrTx, accountId: string, input: PlaceOrderInput, clientOrderId: string): Promise<OrderRow> {
  const [existing] = await tx
    .select()
    .from(orders)
    .where(and(eq(orders.accountId, accountId), eq(orders.clientOrderId, clientOrderId)))
    .limit(1);
  if (!existing) throw new Error('clientOrderId conflict without a stored order');
  if (!sameRequest(existing, input)) {
    throw new AppError('CONFLICT', `clientOrderId ${clientOrderId} is already used by a different order on this account`, {
      fields: [{ field: 'clientOrderId', message: 'is already used by a different order' }],
    });
  }
  return existing;
}

/**
 * Inserts the `new` row (and its "created" event), or returns the stored order with this clientOrderId.
 *
 * One statement, one round trip: the fence (with deploymentId and fenceEpoch: the deployment row, FOR SHARE,
 * must be running under that epoch, else nothing is inserted and LeaseLostError is thrown), the insert, and
 * (for paper orders) the account's balance rows of `lockBalances`, read FOR UPDATE for the paper exchange.
 */
export async function insertNewOrder(
  tx: DbOrTx,
  userId: string,
  account: AccountRow,
  input: PlaceOrderInput,
  clientOrderId: string,
  options: {
    /** The caller records the "created" event itself, with the order's next events, in one insert. */
    deferCreatedEvent?: boolean;
    /** Paper: the assets whose balance rows to lock and return. */
    lockBalances?: readonly [string, string];
    /**
     * A batch's statements (tick-batch.ts): the insert goes out with the other members' orders, in one statement.
     * Only for an order without its own fence whose balance rows are locked (a paper tick's).
     */
    statements?: PaperOrderStatements;
  } = {},
): Promise<{ row: OrderRow; created: boolean; balances: LockedBalance[] }> {
  const values = newOrderValues(userId, account, input, clientOrderId);
  const fence = fenceOf(input);
  const { fenceHeld, row, balances, killSwitch } =
    options.statements && options.lockBalances && !fence
      ? insertedOrder(await options.statements.insert({ values, lockBalances: options.lockBalances }))
      : await insertOrderStatement(tx, values, { fence, lockBalances: options.lockBalances });
  if (killSwitch.length > 0) throw killSwitchError(haltingLatch(killSwitch)!); // KILL SWITCH GUARD: nothing was inserted
  if (!fenceHeld) throw new LeaseLostError(input.deploymentId!);
  if (row) {
    if (!options.deferCreatedEvent) await tx.insert(orderEvents).values({ orderId: row.id, ...createdEvent(clientOrderId) });
    return { row, created: true, balances };
  }
  return { row: await storedRetry(tx, account.id, input, clientOrderId), created: false, balances };
}
