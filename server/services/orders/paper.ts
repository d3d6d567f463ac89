/**
 * The paper order path (docs/orders.md, "The paper order path"): the `new` row, the paper exchange's answer, the
 * balances, the fill, the events and the order's final state, in ONE transaction, as two statements
 * (order-sql.ts). Inside a caller's transaction (a deployment tick) or in one of its own, pipelined with BEGIN and
 * COMMIT (manual orders). Resting orders are matched later against the prices since (`syncPaperOrders`, the
 * reconciler's paper pass).
 */
import { and, eq } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { pipelinedTransaction } from '@/db/raw';
import { exchangeAccounts, orders, paperBalances } from '@/db/schema';
import { Decimal } from '@/server/core/money';
import { applyOrderEvent, type OrderEvent, type OrderFill } from '@/server/core/orders';
import { PAPER_EXCHANGE, type AccountRow } from '@/server/services/accounts';
import { notifyStatement } from '@/server/services/events';
import { crashPoint } from '@/server/services/faults';
import { haltingLatch, killSwitchError } from '@/server/services/kill-switch/latch';
import {
  answerEvents,
  applyOrderEvents,
  createdEvent,
  eventValues,
  fillValues,
  notifyOrder,
  orderEvent,
  orderState,
  sendFailureEvent,
  stateValues,
  withConflictRetry,
} from './apply';
import { LeaseLostError, type OrderDeps, type OrderRow, type PlaceOrderInput } from './model';
import { fenceOf, insertNewOrder, newOrderValues } from './new-order';
import { insertedOrder, insertOrderSql, outcomeSql, outcomeStatement, writtenOrder, type LockedBalance, type OutcomeWrites } from './order-sql';
import type { PaperOrderStatements } from './order-batch-sql';
import { PaperExchange } from './paper-exchange';
import { defaultPaperPriceSource, type PaperPriceSource } from './price-source';

export type PaperOrderInput = PlaceOrderInput & { clientOrderId: string };
export interface PlacedPaperOrder {
  order: OrderRow;
  created: boolean;
  /** The trades of a new order (none for a retry: its fills are stored). */
  trades: OrderFill[];
}

export const paperAccount = (row: AccountRow) => ({ id: row.id, feeRate: row.feeRate ?? '0.001', slippage: row.slippage ?? '0.0005' });

/** The base and quote of a BASE/QUOTE symbol, in the order their balance rows are locked; undefined if malformed. */
function symbolAssets(symbol: string): { base: string; quote: string } | undefined {
  const [base, quote, extra] = symbol.split('/');
  return base && quote && base !== quote && extra === undefined ? { base, quote } : undefined;
}

/**
 * A new paper order's outcome, computed from its `new` row and its account's locked balances: the paper
 * exchange's answer against `prices`, run through the order state machine. Nothing is written here; the result
 * is one statement (order-sql.ts outcomeStatement). A new order has no fills yet, so none can be a duplicate.
 */
async function paperOutcome(
  tx: DbOrTx,
  row: OrderRow,
  account: AccountRow,
  input: PaperOrderInput,
  balances: LockedBalance[],
  prices: PaperPriceSource,
  clock?: () => number,
): Promise<{ writes: OutcomeWrites; trades: OrderFill[] }> {
  const exchange = new PaperExchange(tx, paperAccount(account), prices, clock);
  const writes: OutcomeWrites = { fills: [], events: [createdEvent(input.clientOrderId)], state: stateValues(orderState(row, [])) };
  let events: OrderEvent[];
  let trades: OrderFill[] = [];
  let liquidity: 'maker' | 'taker' = input.type === 'market' ? 'taker' : 'maker';
  try {
    const request = {
      symbol: input.symbol,
      side: input.side,
      type: input.type,
      amount: input.quantity,
      price: input.price,
      stopPrice: input.stopPrice,
      clientOrderId: input.clientOrderId,
    };
    const assets = symbolAssets(input.symbol);
    const of = (asset: string | undefined) => balances.find((b) => b.asset === asset);
    const [baseRow, quoteRow] = [of(assets?.base), of(assets?.quote)];
    // Both rows exist (the usual case): the exchange uses them; else it creates the missing ones and locks them itself.
    const lockedBalances =
      baseRow && quoteRow ? { baseFree: baseRow.free, baseUsed: baseRow.used, quoteFree: quoteRow.free, quoteUsed: quoteRow.used } : undefined;
    const answer = await exchange.createOrder(request, row, {
      deferRowUpdate: (fields) => (writes.paper = fields),
      lockedBalances,
      deferBalanceWrite: (write) => (writes.balances = write),
    });
    events = answerEvents(answer);
    trades = answer.trades;
    if (input.type === 'limit' && answer.trades.length) liquidity = 'taker'; // crossed on arrival
  } catch (error) {
    events = [sendFailureEvent(error)];
  }
  let state = orderState(row, []);
  for (const event of events) {
    const result = applyOrderEvent(state, event);
    if (result.outcome === 'duplicate_fill') throw new Error(`order ${row.id}: a new order's trade ${(event as { fill: OrderFill }).fill.tradeId} came twice`);
    if (event.type === 'fill') writes.fills.push(fillValues(event.fill, { liquidity }));
    writes.events.push(eventValues(state, result.order, event));
    state = result.order;
  }
  writes.state = stateValues(state);
  return { writes, trades };
}

/**
 * The paper order path inside the caller's transaction (a deployment tick books its state in the same one): two
 * statements. 1: the kill switch latches, the fence, the `new` row and the account's balance rows, locked.
 * 2: the balances, the fill, the events and the order's final state. With `statements` (a batch of ticks), both
 * go out with the other members' orders (order-batch-sql.ts).
 */
export async function placePaperOrderInTx(
  tx: DbOrTx,
  userId: string,
  account: AccountRow,
  input: PaperOrderInput,
  prices: PaperPriceSource,
  clock?: () => number,
  statements?: PaperOrderStatements,
): Promise<PlacedPaperOrder> {
  const assets = symbolAssets(input.symbol);
  const { row, created, balances } = await insertNewOrder(tx, userId, account, input, input.clientOrderId, {
    deferCreatedEvent: true,
    lockBalances: assets && [assets.base, assets.quote],
    statements,
  });
  if (!created) return { order: row, created, trades: [] };
  crashPoint('order.after_write');
  const { writes, trades } = await paperOutcome(tx, row, account, input, balances, prices, clock);
  const order = statements
    ? writtenOrder(row.id, await statements.outcome({ order: { id: row.id, accountId: row.accountId }, writes }))
    : await outcomeStatement(tx, row, writes);
  crashPoint('order.after_fill');
  return { order, created, trades };
}

/**
 * A paper order in its own transaction (manual orders): the same two statements as placePaperOrderInTx, each
 * pipelined with BEGIN or COMMIT on one connection, so the whole transaction is two round trips.
 *
 * Nothing inside the transaction waits on another connection (docs/orders.md, "Locks"): the price is read before
 * it (it takes no lock), and a first order in an asset creates its missing balance rows before it, in asset order,
 * then starts over. A retried clientOrderId (or a symbol that is not BASE/QUOTE) takes the general path, with the
 * same price. A deadlock or serialization failure rolls the whole transaction back; it is run again a few times
 * (the clientOrderId makes that safe) before the caller sees it (503).
 */
export async function placePaperOrder(
  db: Db,
  userId: string,
  account: AccountRow,
  input: PaperOrderInput,
  prices: PaperPriceSource,
  options: { clock?: () => number; notify?: boolean } = {},
): Promise<PlacedPaperOrder> {
  const latest = await prices.latest(input.symbol);
  const pricedOnce: PaperPriceSource = {
    latest: async () => latest,
    candlesSince: async () => {
      throw new Error('the order transaction reads no candles');
    },
  };
  const general = () =>
    db.transaction(async (tx) => {
      const placed = await placePaperOrderInTx(tx, userId, account, input, pricedOnce, options.clock);
      if (placed.created && options.notify) await notifyOrder(tx, placed.order);
      return placed;
    });
  const assets = symbolAssets(input.symbol);
  return withConflictRetry(async () => {
    if (!assets) return general();
    let placed = await pipelinedPaperOrder(db, userId, account, input, assets, pricedOnce, options);
    if (placed === 'missing_balances') {
      await ensureBalanceRows(db, account.id, [assets.base, assets.quote]);
      placed = await pipelinedPaperOrder(db, userId, account, input, assets, pricedOnce, options);
    }
    // A retry (the clientOrderId is taken): the general path finds the stored order, on a connection of its own
    // (the pipelined attempt has given its one back, so a pool of one cannot wait on itself).
    return typeof placed === 'object' ? placed : general();
  });
}

/**
 * Creates the account's missing balance rows of these assets (zero), in ascending asset order, in a statement of
 * its own: the order's transaction then only locks rows that exist, all in one statement (docs/orders.md, "Locks").
 */
export async function ensureBalanceRows(db: Db, accountId: string, assets: readonly string[]): Promise<void> {
  const sorted = [...new Set(assets)].sort();
  await db
    .insert(paperBalances)
    .values(sorted.map((asset) => ({ accountId, asset, free: '0', used: '0' })))
    .onConflictDoNothing();
}

/**
 * The two round trips of placePaperOrder. 'missing_balances' and 'taken' (the clientOrderId is a retry's): rolled
 * back, nothing written, the caller takes it from there.
 */
async function pipelinedPaperOrder(
  db: Db,
  userId: string,
  account: AccountRow,
  input: PaperOrderInput,
  assets: { base: string; quote: string },
  prices: PaperPriceSource,
  options: { clock?: () => number; notify?: boolean },
): Promise<PlacedPaperOrder | 'missing_balances' | 'taken'> {
  let trades: OrderFill[] = [];
  let orderId = '';
  let instead: 'missing_balances' | 'taken' = 'taken';
  // BEGIN + the insert; then the outcome, the notification (delivered at commit) and COMMIT.
  const last = await pipelinedTransaction(
    db,
    insertOrderSql(newOrderValues(userId, account, input, input.clientOrderId), { fence: fenceOf(input), lockBalances: [assets.base, assets.quote] }),
    async (rows) => {
      const { fenceHeld, row, balances, killSwitch } = insertedOrder(rows);
      if (killSwitch.length > 0) throw killSwitchError(haltingLatch(killSwitch)!); // KILL SWITCH GUARD: nothing was inserted
      if (!fenceHeld) throw new LeaseLostError(input.deploymentId!);
      if (!row) return null;
      if (balances.length < 2) {
        instead = 'missing_balances';
        return null;
      }
      crashPoint('order.after_write');
      orderId = row.id;
      // PaperExchange needs no connection when the balances are locked and the price is known.
      const outcome = await paperOutcome(db, row, account, input, balances, prices, options.clock);
      trades = outcome.trades;
      const notify = notifyStatement([orderEvent({ ...row, status: outcome.writes.state.status })]);
      return [outcomeSql(row, outcome.writes), ...(options.notify ? [notify] : [])];
    },
  );
  if (last === null) return instead;
  crashPoint('order.after_fill');
  return { order: writtenOrder(orderId, last[0]!), created: true, trades };
}

/**
 * The quantity a paper sale of `wanted` base may ask for: never more than the account's free base (a deployment's
 * position is a float sum of fills whose exact decimal sum the account holds; the two can differ in the last digit,
 * and the user may have sold some by hand). In the caller's transaction.
 */
export async function paperSaleQuantity(tx: DbOrTx, accountId: string, symbol: string, wanted: string): Promise<string> {
  const base = symbol.split('/')[0]!;
  const [row] = await tx
    .select({ free: paperBalances.free })
    .from(paperBalances)
    .where(and(eq(paperBalances.accountId, accountId), eq(paperBalances.asset, base)));
  const quantity = new Decimal(wanted);
  const free = new Decimal(row?.free ?? '0');
  return (quantity.gt(free) ? free : quantity).toFixed();
}

/** Matches the user's resting paper orders against the prices since they were last matched. */
export async function syncPaperOrders(db: Db, userId: string, deps: OrderDeps = {}, accountId?: string): Promise<number> {
  const where = [eq(exchangeAccounts.userId, userId), eq(exchangeAccounts.exchange, PAPER_EXCHANGE)];
  if (accountId) where.push(eq(exchangeAccounts.id, accountId));
  const accounts = await db
    .selectDistinct({ account: exchangeAccounts })
    .from(exchangeAccounts)
    .innerJoin(orders, and(eq(orders.accountId, exchangeAccounts.id), eq(orders.status, 'open')))
    .where(and(...where));
  let filled = 0;
  for (const { account } of accounts) {
    await db.transaction(async (tx) => {
      const exchange = new PaperExchange(tx, paperAccount(account), (deps.prices ?? defaultPaperPriceSource)(tx), deps.clock);
      for (const { orderId, trade } of await exchange.matchRestingOrders()) {
        const { order } = await applyOrderEvents(tx, orderId, [{ type: 'fill', fill: trade }], { liquidity: 'maker' });
        await notifyOrder(tx, order);
        filled++;
      }
    });
  }
  return filled;
}
