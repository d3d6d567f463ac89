/**
 * The order path (docs/orders.md): write the order as `new` with its clientOrderId, THEN call the
 * exchange, then apply its answer through the state machine. Every transition is an order_events row;
 * fills are applied once (unique (order, trade id); a duplicate is a no-op).
 *
 * - Paper accounts: the whole path runs in one transaction with the paper exchange (balances and the
 *   order row change together; nothing is ambiguous).
 * - Real exchanges: the `new` row is committed before the call; a lost answer (timeout, 5xx) leaves the
 *   order `unknown` for the reconciler. A repeated request with the same clientOrderId returns the
 *   stored order and never calls the exchange again.
 */
import { and, asc, desc, eq, type SQL } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { pipelinedTransaction } from '@/db/raw';
import { databaseUnavailableReason, isRetryableConflict } from '@/db/errors';
import { deployments, exchangeAccounts, fills, orderEvents, orders, paperBalances } from '@/db/schema';
import { AppError } from '@/server/core/errors';
import { compare, formatDecimal } from '@/server/core/money';
import {
  applyOrderEvent,
  CLIENT_ORDER_ID_PATTERN,
  fillKey,
  manualClientOrderId,
  type OrderEvent,
  type OrderFill,
  type OrderState,
  type OrderStatus,
} from '@/server/core/orders';
import { isExchangeError } from '@/server/exchange/errors';
import type { ExchangeOrder } from '@/server/exchange/ports';
import { logger } from '@/server/logger';
import { crashPoint } from '@/server/services/faults';
import { EVENTS_CHANNEL, notifyEvent, type AppEvent } from '@/server/services/events';
import { exchangeFor, findOwnedAccount, isUuid, PAPER_EXCHANGE, type AccountDeps, type AccountRow } from '@/server/services/accounts';
import { assertTradingAllowed, haltingLatch, killSwitchError } from '@/server/services/kill-switch/latch';
import { insertedOrder, insertOrderSql, insertOrderStatement, outcomeSql, outcomeStatement, writtenOrder, type EventValues, type FillValues, type LockedBalance, type NewOrderValues, type OrderStateValues, type OutcomeWrites } from './order-sql';
import { PaperExchange, type ExchangeOrderWithTrades } from './paper-exchange';
import { defaultPaperPriceSource, type PaperPriceSource } from './price-source';

export type OrderRow = typeof orders.$inferSelect;

export interface PlaceOrderInput {
  accountId: string;
  symbol: string;
  side: 'buy' | 'sell';
  type: 'market' | 'limit' | 'stop_limit';
  quantity: string;
  price?: string;
  stopPrice?: string;
  clientOrderId?: string;
  deploymentId?: string;
  /**
   * With deploymentId: the deployment's lease epoch the caller holds. The order row is only written while
   * the deployment is running under that epoch (the fencing check): a runner that lost its lease, or a
   * deployment paused or stopped meanwhile, gets LeaseLostError and nothing is written.
   */
  fenceEpoch?: number;
}

/** The deployment's lease moved on (another worker, a pause, a stop): the caller must stop acting for it. */
export class LeaseLostError extends Error {
  constructor(readonly deploymentId: string) {
    super(`lease on deployment ${deploymentId} lost: not placing the order`);
    this.name = 'LeaseLostError';
  }
}

export interface OrderView {
  id: string;
  accountId: string;
  deploymentId: string | null;
  clientOrderId: string;
  exchangeOrderId: string | null;
  exchange: string;
  symbol: string;
  side: 'buy' | 'sell';
  type: 'market' | 'limit' | 'stop_limit';
  quantity: string;
  price: string | null;
  stopPrice: string | null;
  status: OrderStatus;
  statusReason: string | null;
  filledQuantity: string;
  averagePrice: string | null;
  fees: Record<string, string>;
  priceSource: string | null;
  cancelRequestedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface FillView {
  tradeId: string;
  quantity: string;
  price: string;
  fee: string;
  feeCurrency: string | null;
  liquidity: 'maker' | 'taker' | null;
  executedAt: string;
}

export interface OrderEventView {
  type: string;
  fromStatus: string | null;
  toStatus: string;
  reason: string | null;
  createdAt: string;
}

export interface OrderDetail extends OrderView {
  fills: FillView[];
  events: OrderEventView[];
}

export interface OrderDeps extends AccountDeps {
  /** Price feed of paper accounts (default: stored candles, else the simulated market). */
  prices?: (db: DbOrTx) => PaperPriceSource;
  clock?: () => number;
}

const iso = (date: Date | null) => (date ? date.toISOString() : null);
const dec = (value: string | null) => (value === null ? null : formatDecimal(value));

export function toOrderView(row: OrderRow): OrderView {
  return {
    id: row.id,
    accountId: row.accountId,
    deploymentId: row.deploymentId,
    clientOrderId: row.clientOrderId,
    exchangeOrderId: row.exchangeOrderId,
    exchange: row.exchange,
    symbol: row.symbol,
    side: row.side,
    type: row.type,
    quantity: formatDecimal(row.quantity),
    price: dec(row.price),
    stopPrice: dec(row.stopPrice),
    status: row.status,
    statusReason: row.statusReason,
    filledQuantity: formatDecimal(row.filledQuantity),
    averagePrice: dec(row.averagePrice),
    fees: row.fees,
    priceSource: row.priceSource,
    cancelRequestedAt: iso(row.cancelRequestedAt),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
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

/** Whether a stored order is the same request (a retry) or a different order reusing the id. */
function sameRequest(row: OrderRow, input: PlaceOrderInput): boolean {
  const eqDec = (a: string | null, b: string | undefined) => (a === null || b === undefined ? a === null && b === undefined : compare(a, b) === 0);
  return row.symbol === input.symbol && row.side === input.side && row.type === input.type && compare(row.quantity, input.quantity) === 0 && eqDec(row.price, input.price) && eqDec(row.stopPrice, input.stopPrice);
}

/** The state machine's view of an order row and the trade ids already applied to it. */
function orderState(row: OrderRow, appliedTradeIds: readonly string[]): OrderState {
  return {
    status: row.status,
    exchange: row.exchange,
    quantity: formatDecimal(row.quantity),
    filledQuantity: formatDecimal(row.filledQuantity),
    filledCost: formatDecimal(row.filledCost),
    averageFillPrice: dec(row.averagePrice),
    fees: row.fees,
    appliedFillKeys: appliedTradeIds.map((tradeId) => fillKey(row.exchange, tradeId)),
    exchangeOrderId: row.exchangeOrderId,
    statusReason: row.statusReason,
  };
}

async function loadOrderState(tx: DbOrTx, row: OrderRow): Promise<OrderState> {
  const applied = await tx.select({ tradeId: fills.tradeId }).from(fills).where(eq(fills.orderId, row.id));
  return orderState(row, applied.map((f) => f.tradeId));
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
  let state = await loadOrderState(tx, row);
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

function fillValues(fill: OrderFill, meta: { liquidity?: 'maker' | 'taker' }): FillValues {
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

function eventValues(before: OrderState, after: OrderState, event: OrderEvent): EventValues {
  return {
    type: event.type,
    fromStatus: before.status,
    toStatus: after.status,
    reason: after.statusReason !== before.statusReason ? after.statusReason : null,
    details: event.type === 'fill' ? { tradeId: event.fill.tradeId, quantity: event.fill.quantity, price: event.fill.price } : 'exchangeOrderId' in event ? { exchangeOrderId: event.exchangeOrderId } : {},
  };
}

function stateValues(state: OrderState): OrderStateValues {
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

const createdEvent = (clientOrderId: string): EventValues => ({ type: 'created', fromStatus: null, toStatus: 'new', reason: null, details: { clientOrderId } });

const fenceOf = (input: PlaceOrderInput) => (input.deploymentId !== undefined && input.fenceEpoch !== undefined ? { deploymentId: input.deploymentId, epoch: input.fenceEpoch } : undefined);

function newOrderValues(userId: string, account: AccountRow, input: PlaceOrderInput, clientOrderId: string): NewOrderValues {
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

/**
 * Inserts the `new` row (and its "created" event), or returns the stored order with this clientOrderId.
 *
 * One statement, one round trip: the fence (with deploymentId and fenceEpoch: the deployment row, FOR SHARE,
 * must be running under that epoch, else nothing is inserted and LeaseLostError is thrown), the insert, and
 * (for paper orders) the account's balance rows of `lockBalances`, read FOR UPDATE for the paper exchange.
 */
async function insertNewOrder(
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
  } = {},
): Promise<{ row: OrderRow; created: boolean; balances: LockedBalance[] }> {
  const { fenceHeld, row, balances, killSwitch } = await insertOrderStatement(tx, newOrderValues(userId, account, input, clientOrderId), { fence: fenceOf(input), lockBalances: options.lockBalances });
  if (killSwitch.length > 0) throw killSwitchError(haltingLatch(killSwitch)!); // KILL SWITCH GUARD: nothing was inserted
  if (!fenceHeld) throw new LeaseLostError(input.deploymentId!);
  if (row) {
    if (!options.deferCreatedEvent) await tx.insert(orderEvents).values({ orderId: row.id, ...createdEvent(clientOrderId) });
    return { row, created: true, balances };
  }
  const [existing] = await tx.select().from(orders).where(and(eq(orders.accountId, account.id), eq(orders.clientOrderId, clientOrderId))).limit(1);
  if (!existing) throw new Error('clientOrderId conflict without a stored order');
  if (!sameRequest(existing, input)) {
    throw new AppError('CONFLICT', `clientOrderId ${clientOrderId} is already used by a different order on this account`, { fields: [{ field: 'clientOrderId', message: 'is already used by a different order' }] });
  }
  return { row: existing, created: false, balances };
}

/** The events an exchange's answer to createOrder implies: the ack, then its trades (if it reported any). */
function answerEvents(answer: ExchangeOrder | ExchangeOrderWithTrades): OrderEvent[] {
  const events: OrderEvent[] = [{ type: 'sent_ack', exchangeOrderId: answer.id }];
  for (const trade of 'trades' in answer ? answer.trades : []) events.push({ type: 'fill', fill: trade });
  return events;
}

function sendFailureEvent(error: unknown): OrderEvent {
  if (isExchangeError(error)) {
    // Ambiguous: the order may exist. Anything else (rejected, fatal, refused before processing): it does not.
    return error.kind === 'ambiguous' ? { type: 'send_ambiguous', reason: error.message } : { type: 'send_rejected', reason: error.message };
  }
  return { type: 'send_ambiguous', reason: 'unexpected error while sending; the order may exist' };
}

const paperAccount = (row: AccountRow) => ({ id: row.id, feeRate: row.feeRate ?? '0.001', slippage: row.slippage ?? '0.0005' });

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
  input: PlaceOrderInput & { clientOrderId: string },
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
    const request = { symbol: input.symbol, side: input.side, type: input.type, amount: input.quantity, price: input.price, stopPrice: input.stopPrice, clientOrderId: input.clientOrderId };
    const assets = symbolAssets(input.symbol);
    const of = (asset: string | undefined) => balances.find((b) => b.asset === asset);
    const [baseRow, quoteRow] = [of(assets?.base), of(assets?.quote)];
    // Both rows exist (the usual case): the exchange uses them; else it creates the missing ones and locks them itself.
    const lockedBalances = baseRow && quoteRow ? { baseFree: baseRow.free, baseUsed: baseRow.used, quoteFree: quoteRow.free, quoteUsed: quoteRow.used } : undefined;
    const answer = await exchange.createOrder(request, row, { deferRowUpdate: (fields) => (writes.paper = fields), lockedBalances, deferBalanceWrite: (write) => (writes.balances = write) });
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
 * The paper order path inside the caller's transaction (the deployment runner books its state in the same
 * one): two statements. 1: the fence, the `new` row and the account's balance rows, locked. 2: the balances,
 * the fill, the events and the order's final state.
 */
export async function placePaperOrderInTx(
  tx: DbOrTx,
  userId: string,
  account: AccountRow,
  input: PlaceOrderInput & { clientOrderId: string },
  prices: PaperPriceSource,
  clock?: () => number,
): Promise<{ order: OrderRow; created: boolean; trades: OrderFill[] }> {
  const assets = symbolAssets(input.symbol);
  const { row, created, balances } = await insertNewOrder(tx, userId, account, input, input.clientOrderId, { deferCreatedEvent: true, lockBalances: assets && [assets.base, assets.quote] });
  if (!created) return { order: row, created, trades: [] };
  crashPoint('order.after_write');
  const { writes, trades } = await paperOutcome(tx, row, account, input, balances, prices, clock);
  const order = await outcomeStatement(tx, row, writes);
  crashPoint('order.after_fill');
  return { order, created, trades };
}

/**
 * A paper order in its own transaction (manual orders; docs/orders.md, "The paper order path"): the same two
 * statements as placePaperOrderInTx, each pipelined with BEGIN or COMMIT on one connection, so the whole
 * transaction is two round trips.
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
  input: PlaceOrderInput & { clientOrderId: string },
  prices: PaperPriceSource,
  options: { clock?: () => number; notify?: boolean } = {},
): Promise<{ order: OrderRow; created: boolean; trades: OrderFill[] }> {
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

/** Runs a transaction again after a deadlock or serialization failure (it was rolled back whole), at most `attempts` times. */
export async function withConflictRetry<T>(run: () => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (attempt >= attempts || !isRetryableConflict(error)) throw error;
      logger.info({ attempt, reason: databaseUnavailableReason(error) }, 'transaction collided; running it again');
      // A few ms, growing and jittered, so the colliding transactions do not meet again in step.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
    }
  }
}

/**
 * Creates the account's missing balance rows of these assets (zero), in ascending asset order, in a statement of
 * its own: the order's transaction then only locks rows that exist, all in one statement (docs/orders.md, "Locks").
 */
export async function ensureBalanceRows(db: Db, accountId: string, assets: readonly string[]): Promise<void> {
  const sorted = [...new Set(assets)].sort();
  await db.insert(paperBalances).values(sorted.map((asset) => ({ accountId, asset, free: '0', used: '0' }))).onConflictDoNothing();
}

/**
 * The two round trips of placePaperOrder. 'missing_balances' and 'taken' (the clientOrderId is a retry's): rolled
 * back, nothing written, the caller takes it from there.
 */
async function pipelinedPaperOrder(
  db: Db,
  userId: string,
  account: AccountRow,
  input: PlaceOrderInput & { clientOrderId: string },
  assets: { base: string; quote: string },
  prices: PaperPriceSource,
  options: { clock?: () => number; notify?: boolean },
): Promise<{ order: OrderRow; created: boolean; trades: OrderFill[] } | 'missing_balances' | 'taken'> {
  let trades: OrderFill[] = [];
  let orderId = '';
  let instead: 'missing_balances' | 'taken' = 'taken';
  // BEGIN + the insert; then the outcome, the notification (delivered at commit) and COMMIT.
  const last = await pipelinedTransaction(db, insertOrderSql(newOrderValues(userId, account, input, input.clientOrderId), { fence: fenceOf(input), lockBalances: [assets.base, assets.quote] }), async (rows) => {
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
    const notify = { text: 'select pg_notify($1, $2)', params: [EVENTS_CHANNEL, JSON.stringify(orderEvent({ ...row, status: outcome.writes.state.status }))] };
    return [outcomeSql(row, outcome.writes), ...(options.notify ? [notify] : [])];
  });
  if (last === null) return instead;
  crashPoint('order.after_fill');
  return { order: writtenOrder(orderId, last[0]!), created: true, trades };
}

/** Places an order; `created` is false when the clientOrderId was already used for the same order (a retry). */
export async function placeOrder(db: Db, userId: string, input: PlaceOrderInput, deps: OrderDeps = {}): Promise<{ order: OrderView; created: boolean }> {
  const account = await findOwnedAccount(db, userId, input.accountId);
  validateShape(input, account);
  const clientOrderId = input.clientOrderId ?? manualClientOrderId();

  if (account.exchange === PAPER_EXCHANGE) {
    const { order, created } = await placePaperOrder(db, userId, account, { ...input, clientOrderId }, (deps.prices ?? defaultPaperPriceSource)(db), { clock: deps.clock, notify: true });
    return { order: toOrderView(order), created };
  }

  // A real exchange: commit the `new` row first, so a crash or a lost answer can never cause a second order.
  const { row, created } = await withConflictRetry(() => db.transaction((tx) => insertNewOrder(tx, userId, account, input, clientOrderId)));
  if (!created) return { order: toOrderView(row), created };
  crashPoint('order.after_write');
  let events: OrderEvent[];
  try {
    // KILL SWITCH GUARD (live): a latch engaged since the row was written stops the send (the order is rejected).
    await assertTradingAllowed(db, userId);
    const { exchange } = exchangeFor(account, deps);
    if (input.type === 'stop_limit') throw new Error('unreachable: validated above');
    const answer = await exchange.createOrder({ symbol: input.symbol, side: input.side, type: input.type, amount: input.quantity, price: input.price, clientOrderId });
    events = answerEvents(answer);
  } catch (error) {
    if (error instanceof AppError) events = [{ type: 'send_rejected', reason: error.message }]; // e.g. credentials unusable: never sent
    else events = [sendFailureEvent(error)];
    logger.warn({ orderId: row.id, clientOrderId, accountId: account.id, event: events[0]!.type, reason: (events[0] as { reason?: string }).reason }, 'order send failed');
  }
  // Only database work from here: applying the answer again after a collision is safe (fills are applied once).
  const { order } = await withConflictRetry(() =>
    db.transaction(async (tx) => {
      const result = await applyOrderEvents(tx, row.id, events);
      await notifyOrder(tx, result.order);
      return result;
    }),
  );
  return { order: toOrderView(order), created };
}

/** Tells the user's open pages (events.stream) that an order changed; delivered only if the transaction commits. */
export async function notifyOrder(db: DbOrTx, order: OrderRow): Promise<void> {
  await notifyEvent(db, orderEvent(order));
}

const orderEvent = (order: Pick<OrderRow, 'userId' | 'id' | 'status' | 'deploymentId'>): AppEvent => ({ kind: 'order', userId: order.userId, orderId: order.id, status: order.status, deploymentId: order.deploymentId });

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

export interface OrderFilters {
  accountId?: string;
  status?: OrderStatus;
  deploymentId?: string;
  limit?: number;
}

export async function listOrders(db: Db, userId: string, filters: OrderFilters = {}, deps: OrderDeps = {}): Promise<OrderView[]> {
  // Filtering by an account that is not the caller's is NOT_FOUND, as addressing it directly would be.
  if (filters.accountId) await findOwnedAccount(db, userId, filters.accountId);
  if (filters.deploymentId) {
    // Filtering by a deployment that is not the caller's is NOT_FOUND too.
    const [owned] = isUuid(filters.deploymentId)
      ? await db.select({ id: deployments.id }).from(deployments).where(and(eq(deployments.id, filters.deploymentId), eq(deployments.userId, userId))).limit(1)
      : [];
    if (!owned) throw AppError.notFound('deployment');
  }
  await syncPaperOrders(db, userId, deps, filters.accountId);
  const where: SQL[] = [eq(orders.userId, userId)];
  if (filters.accountId) where.push(eq(orders.accountId, filters.accountId));
  if (filters.status) where.push(eq(orders.status, filters.status));
  if (filters.deploymentId) where.push(eq(orders.deploymentId, filters.deploymentId));
  const rows = await db.select().from(orders).where(and(...where)).orderBy(desc(orders.createdAt), desc(orders.id)).limit(filters.limit ?? 200);
  return rows.map(toOrderView);
}

async function findOwnedOrder(db: DbOrTx, userId: string, orderId: string): Promise<OrderRow> {
  if (!isUuid(orderId)) throw AppError.notFound('order');
  const [row] = await db.select().from(orders).where(and(eq(orders.id, orderId), eq(orders.userId, userId))).limit(1);
  if (!row) throw AppError.notFound('order');
  return row;
}

export async function getOrder(db: Db, userId: string, orderId: string, deps: OrderDeps = {}): Promise<OrderDetail> {
  const first = await findOwnedOrder(db, userId, orderId);
  if (first.exchange === PAPER_EXCHANGE && first.status === 'open') await syncPaperOrders(db, userId, deps, first.accountId);
  const row = await findOwnedOrder(db, userId, orderId);
  const [fillRows, eventRows] = await Promise.all([
    db.select().from(fills).where(eq(fills.orderId, orderId)).orderBy(asc(fills.id)),
    db.select().from(orderEvents).where(eq(orderEvents.orderId, orderId)).orderBy(asc(orderEvents.id)),
  ]);
  return {
    ...toOrderView(row),
    fills: fillRows.map((f) => ({ tradeId: f.tradeId, quantity: formatDecimal(f.quantity), price: formatDecimal(f.price), fee: formatDecimal(f.fee), feeCurrency: f.feeCurrency, liquidity: f.liquidity, executedAt: f.executedAt.toISOString() })),
    events: eventRows.map((e) => ({ type: e.type, fromStatus: e.fromStatus, toStatus: e.toStatus, reason: e.reason, createdAt: e.createdAt.toISOString() })),
  };
}

/** Cancels a resting order. Paper: at once, reservation released. Real: the exchange's answer decides. */
export async function cancelOrder(db: Db, userId: string, orderId: string, deps: OrderDeps = {}): Promise<OrderView> {
  const row = await findOwnedOrder(db, userId, orderId);
  if (row.status !== 'open' && row.status !== 'partially_filled') {
    throw new AppError('CONFLICT', `the order is ${row.status}: only open orders can be canceled`);
  }
  const account = await findOwnedAccount(db, userId, row.accountId);
  if (account.exchange === PAPER_EXCHANGE) {
    return db.transaction(async (tx) => {
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
      return toOrderView(order);
    });
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
      return toOrderView(order);
    }
  } catch (error) {
    if (isExchangeError(error) && error.kind !== 'ambiguous') throw new AppError(error.kind === 'retryable' ? 'UNAVAILABLE' : 'CONFLICT', `the exchange did not cancel the order: ${error.message}`);
    if (!isExchangeError(error)) throw error;
  }
  // Ambiguous or not yet confirmed: the order stays as it is until the exchange reports (no pending state).
  return toOrderView(await findOwnedOrder(db, userId, orderId));
}

/** Applies trades reported for an order (the reconciler's entry point); a trade applied before is a no-op. */
export async function recordFills(db: Db, orderId: string, trades: OrderFill[]): Promise<ApplyResult> {
  return db.transaction((tx) => applyOrderEvents(tx, orderId, trades.map((fill) => ({ type: 'fill' as const, fill }))));
}

/** The price a ticket would fill near, and where it comes from, for the estimated cost before confirming. */
export async function quoteOrder(db: Db, userId: string, input: { accountId: string; symbol: string }, deps: OrderDeps = {}) {
  const account = await findOwnedAccount(db, userId, input.accountId);
  if (account.exchange === PAPER_EXCHANGE) {
    const quote = await (deps.prices ?? defaultPaperPriceSource)(db).latest(input.symbol);
    return { accountId: account.id, symbol: input.symbol, price: quote ? formatDecimal(String(quote.price)) : null, source: quote?.source ?? null, feeRate: account.feeRate ? formatDecimal(account.feeRate) : '0', slippage: account.slippage ? formatDecimal(account.slippage) : '0' };
  }
  try {
    const { exchange } = exchangeFor(account, deps);
    const ticker = await exchange.fetchTicker(input.symbol);
    return { accountId: account.id, symbol: input.symbol, price: ticker.last, source: `${account.exchange} ticker`, feeRate: null, slippage: null };
  } catch {
    return { accountId: account.id, symbol: input.symbol, price: null, source: null, feeRate: null, slippage: null };
  }
}

export const OPEN_STATUSES: OrderStatus[] = ['new', 'open', 'partially_filled', 'unknown'];
