/**
 * The reconciler (docs/orders.md "Reconciliation"): brings an account's unsettled orders in line with
 * what the exchange says, through the order state machine like every other writer.
 *
 * For a real (ccxt) account, in one pass:
 * - each order that is `open`, `partially_filled`, `unknown`, or `new` for longer than a grace period
 *   (the worker died between writing and sending it) is looked up on the exchange — in the list of open
 *   orders, else by its exchange id or clientOrderId. Its trades are applied as fills (once: unique
 *   (order, trade id)), then the event the exchange's status implies. An order the exchange does not know
 *   is `reconciled_not_found` (→ rejected) if its outcome was unknown, and an alert if it had been
 *   acknowledged. Nothing is ever sent again: a not-found order is concluded, never re-placed.
 * - open orders on the exchange that Cryptobot did not place are flagged to the user (one alert per order,
 *   deduplicated); they are never adopted and never canceled.
 * - open orders marked cancel-requested (the kill switch marks every unsettled order) are canceled on the exchange.
 * - every order it settles or changes sends the same order event as the orders service, once, at its commit.
 * - balances are fetched and returned (Cryptobot keeps no ledger of a real account's balances to compare).
 * Paper accounts: their resting orders are matched against the prices since (syncPaperOrders).
 *
 * Two workers never reconcile one account at once: a pass holds a lease on the account row
 * (`reconcile_lease_until`, taken and given back by one statement each, so nothing is held open while the pass
 * calls the exchange or uses other connections), and a worker that finds it held skips the account. A worker
 * killed mid-pass leaves the lease to expire (RECONCILE_LEASE_MS). Each order is settled in its own transaction, under the
 * order's row lock, and only if its status did not change since the pass read it (a user's cancel, a
 * placeOrder finishing): otherwise the next pass looks again.
 */
import { and, asc, eq, inArray, isNotNull, isNull, lt, ne, or, sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { exchangeAccounts, orders } from '@/db/schema';
import { AppError } from '@/server/core/errors';
import { formatDecimal } from '@/server/core/money';
import { isTerminal } from '@/server/core/orders';
import type { CcxtExchange } from '@/server/exchange/ccxt-adapter';
import { isExchangeError } from '@/server/exchange/errors';
import type { Balances, ExchangeOrder } from '@/server/exchange/ports';
import { logger } from '@/server/logger';
import { exchangeFor, getAccountBalance, PAPER_EXCHANGE, type AccountRow } from '@/server/services/accounts';
import { raiseAlert } from '@/server/services/alerts';
import {
  cancelRequestedOrder,
  DEFAULT_NOT_FOUND_GRACE_MS,
  lookUpOrder,
  OPEN_STATUSES,
  requestedCancelsOf,
  settleFromExchange,
  syncPaperOrders,
  type OrderDeps,
  type OrderRow,
} from '@/server/services/orders';

export interface ReconcileDeps extends OrderDeps {
  /** Wall-clock time (ms) for the grace periods; default Date.now. (`clock` is the paper feed's time.) */
  now?: () => number;
  /** A `new` order younger than this may still be in its send: left alone. Default 30 s. */
  newOrderGraceMs?: number;
  /**
   * An order is concluded "not found" only once it was written at least this long ago (a just-sent order
   * may not be visible yet). Default 30 s.
   */
  notFoundGraceMs?: number;
}

export const DEFAULT_NEW_ORDER_GRACE_MS = 30_000;
export { DEFAULT_NOT_FOUND_GRACE_MS };

/** An open order on the exchange that Cryptobot did not place: flagged, never adopted or canceled. */
export interface ExternalOrder {
  exchangeOrderId: string;
  clientOrderId: string | null;
  symbol: string;
  side: 'buy' | 'sell';
  type: string;
  amount: string | null;
  price: string | null;
}

/** An order this pass left as it was, and why (a later pass settles it, or an alert asks a human). */
export interface PendingOrder {
  orderId: string;
  clientOrderId: string;
  reason: string;
}

export interface ReconcileResult {
  accountId: string;
  exchange: string;
  /** Another worker held the account's reconcile lock: this pass did nothing. */
  skipped: boolean;
  /** Orders looked up (paper: resting orders matched). */
  checked: number;
  /** Orders that changed (status or fills). */
  updated: number;
  fillsApplied: number;
  /** Orders the exchange did not know, settled as rejected ("not found on exchange"). */
  notFound: number;
  external: ExternalOrder[];
  pending: PendingOrder[];
  /** The exchange's balances (paper: the stored ones); null when they could not be fetched. */
  balances: Balances | null;
  balanceError: string | null;
}

const emptyResult = (account: AccountRow): ReconcileResult => ({
  accountId: account.id,
  exchange: account.exchange,
  skipped: false,
  checked: 0,
  updated: 0,
  fillsApplied: 0,
  notFound: 0,
  external: [],
  pending: [],
  balances: null,
  balanceError: null,
});

/** How long a pass may hold an account before another worker may take it over (a killed worker's pass). */
export const RECONCILE_LEASE_MS = 120_000;

/** Reconciles one account (real or paper) against its exchange; see the file comment. */
export async function reconcileAccount(db: Db, accountId: string, deps: ReconcileDeps = {}): Promise<ReconcileResult> {
  const [account] = await db.select().from(exchangeAccounts).where(eq(exchangeAccounts.id, accountId)).limit(1);
  if (!account) throw AppError.notFound('account');
  // A lease, not a lock held in an open transaction: the pass calls the exchange and commits on other connections,
  // and a transaction idle meanwhile would hold a connection (and be ended by idle_in_transaction_session_timeout).
  const [leased] = await db
    .update(exchangeAccounts)
    .set({ reconcileLeaseUntil: sql`now() + ${`${RECONCILE_LEASE_MS} milliseconds`}::interval` })
    .where(and(eq(exchangeAccounts.id, accountId), or(isNull(exchangeAccounts.reconcileLeaseUntil), lt(exchangeAccounts.reconcileLeaseUntil, sql`now()`))))
    .returning({ id: exchangeAccounts.id });
  if (!leased) return { ...emptyResult(account), skipped: true };
  try {
    return account.exchange === PAPER_EXCHANGE ? await reconcilePaper(db, account, deps) : await reconcileExchangeAccount(db, account, deps);
  } finally {
    // Given back at once; if the database is what failed, the lease expires on its own.
    await db
      .update(exchangeAccounts)
      .set({ reconcileLeaseUntil: null })
      .where(eq(exchangeAccounts.id, accountId))
      .catch(() => {});
  }
}

async function reconcilePaper(db: Db, account: AccountRow, deps: ReconcileDeps): Promise<ReconcileResult> {
  const result = emptyResult(account);
  const resting = await db
    .select({ id: orders.id })
    .from(orders)
    .where(and(eq(orders.accountId, account.id), eq(orders.status, 'open')));
  result.checked = resting.length;
  // A paper order fills completely in one trade: each fill is one order settled.
  result.fillsApplied = resting.length > 0 ? await syncPaperOrders(db, account.userId, deps, account.id) : 0;
  result.updated = result.fillsApplied;
  result.balances = (await getAccountBalance(db, account.userId, account.id, deps)).balances;
  return result;
}

/** Every open order on the exchange; per symbol of our orders when the exchange wants a symbol. */
async function openOrdersOnExchange(exchange: CcxtExchange, symbols: string[]): Promise<{ orders: ExchangeOrder[]; complete: boolean }> {
  try {
    return { orders: await exchange.fetchOpenOrders(), complete: true };
  } catch (error) {
    if (!isExchangeError(error) || error.kind !== 'rejected') throw error;
    const found: ExchangeOrder[] = [];
    for (const symbol of symbols) found.push(...(await exchange.fetchOpenOrders(symbol)));
    return { orders: found, complete: false };
  }
}

async function reconcileExchangeAccount(db: Db, account: AccountRow, deps: ReconcileDeps): Promise<ReconcileResult> {
  const result = emptyResult(account);
  const now = (deps.now ?? Date.now)();
  const newGraceMs = deps.newOrderGraceMs ?? DEFAULT_NEW_ORDER_GRACE_MS;
  const notFoundGraceMs = deps.notFoundGraceMs ?? DEFAULT_NOT_FOUND_GRACE_MS;
  const log = logger.child({ accountId: account.id, exchange: account.exchange });

  const rows = await db
    .select()
    .from(orders)
    .where(and(eq(orders.accountId, account.id), inArray(orders.status, OPEN_STATUSES)))
    .orderBy(asc(orders.createdAt), asc(orders.id));
  const candidates: OrderRow[] = [];
  for (const row of rows) {
    if (row.status === 'new' && now - row.createdAt.getTime() < newGraceMs) {
      result.pending.push({ orderId: row.id, clientOrderId: row.clientOrderId, reason: 'just written: its send may still be in flight' });
    } else {
      candidates.push(row);
    }
  }

  const { exchange } = exchangeFor(account, deps);
  const open = await openOrdersOnExchange(exchange, [...new Set(candidates.map((r) => r.symbol))]);
  const byClientOrderId = new Map(open.orders.filter((o) => o.clientOrderId).map((o) => [o.clientOrderId!, o]));
  const byId = new Map(open.orders.map((o) => [o.id, o]));

  for (const row of candidates) {
    try {
      const listed = byClientOrderId.get(row.clientOrderId) ?? (row.exchangeOrderId ? byId.get(row.exchangeOrderId) : undefined);
      const found = listed ?? (await lookUpOrder(exchange, row));
      result.checked++;
      const outcome = await settleFromExchange(db, exchange, row, found, { now, notFoundGraceMs });
      if (outcome.changed) result.updated++;
      result.fillsApplied += outcome.fillsApplied;
      if (outcome.notFound) result.notFound++;
      if (outcome.pending) result.pending.push({ orderId: row.id, clientOrderId: row.clientOrderId, reason: outcome.pending });
      if (outcome.alert === 'missing_on_exchange') {
        await raiseAlert(db, {
          userId: account.userId,
          kind: 'reconciliation',
          severity: 'warning',
          message: `Order ${row.clientOrderId} (${row.side} ${formatDecimal(row.quantity)} ${row.symbol}) is ${row.status} in Cryptobot, but ${account.exchange} does not know it. It was left as it is: check it on the exchange.`,
          accountId: account.id,
          orderId: row.id,
          dedupeKey: `reconcile:missing:${row.id}`,
          details: { clientOrderId: row.clientOrderId, exchangeOrderId: row.exchangeOrderId, status: row.status },
        });
      }
    } catch (error) {
      // Credentials refused: no other order can be looked up either.
      if (isExchangeError(error) && error.kind === 'fatal') throw error;
      const reason = error instanceof Error ? error.message : String(error);
      log.warn({ orderId: row.id, clientOrderId: row.clientOrderId, reason }, 'could not reconcile an order; retrying next pass');
      result.pending.push({ orderId: row.id, clientOrderId: row.clientOrderId, reason: `lookup failed: ${reason}` });
    }
  }

  await flagUnplacedOrders(db, account, open.orders, result);

  // Orders still open with a cancel request (the kill switch marks them; a cancel the exchange did not confirm):
  // asked again here, after their state above is brought up to date.
  for (const orderId of await requestedCancelsOf(db, account.id)) {
    try {
      const outcome = await cancelRequestedOrder(db, orderId, 'canceled by the reconciler: a cancel was requested', deps);
      if (outcome === 'canceled') result.updated++;
    } catch (error) {
      if (isExchangeError(error) && error.kind === 'fatal') throw error;
      log.warn({ orderId, reason: error instanceof Error ? error.message : String(error) }, 'could not cancel a cancel-requested order; retrying next pass');
    }
  }

  try {
    result.balances = await exchange.fetchBalance();
  } catch (error) {
    if (isExchangeError(error) && error.kind === 'fatal') throw error;
    result.balanceError = error instanceof Error ? error.message : String(error);
  }

  if (result.updated > 0 || result.external.length > 0 || result.notFound > 0) {
    log.info(
      {
        checked: result.checked,
        updated: result.updated,
        fillsApplied: result.fillsApplied,
        notFound: result.notFound,
        external: result.external.length,
        pending: result.pending.length,
      },
      'reconciled account',
    );
  }
  if (!open.complete)
    log.info('the exchange lists open orders per symbol only: orders placed outside Cryptobot were looked for in the symbols of its own orders');
  return result;
}

/**
 * Open exchange orders that match no order of this account are someone else's: one alert each (dedupeKey),
 * never adopted, never canceled. One that matches an order Cryptobot already settled is a contradiction.
 */
async function flagUnplacedOrders(db: Db, account: AccountRow, open: ExchangeOrder[], result: ReconcileResult): Promise<void> {
  if (open.length === 0) return;
  const clientIds = open.map((o) => o.clientOrderId).filter((id): id is string => id !== null);
  const known = await db
    .select({ id: orders.id, clientOrderId: orders.clientOrderId, exchangeOrderId: orders.exchangeOrderId, status: orders.status })
    .from(orders)
    .where(
      and(
        eq(orders.accountId, account.id),
        or(
          inArray(orders.clientOrderId, clientIds),
          and(
            isNotNull(orders.exchangeOrderId),
            inArray(
              orders.exchangeOrderId,
              open.map((o) => o.id),
            ),
          ),
        ),
      ),
    );
  for (const remote of open) {
    const mine = known.find((k) => (remote.clientOrderId !== null && k.clientOrderId === remote.clientOrderId) || k.exchangeOrderId === remote.id);
    const description = `${remote.side} ${remote.amount ?? '?'} ${remote.symbol}${remote.price ? ` at ${remote.price}` : ''}`;
    if (!mine) {
      result.external.push({
        exchangeOrderId: remote.id,
        clientOrderId: remote.clientOrderId,
        symbol: remote.symbol,
        side: remote.side,
        type: remote.type,
        amount: remote.amount,
        price: remote.price,
      });
      await raiseAlert(db, {
        userId: account.userId,
        kind: 'reconciliation',
        severity: 'warning',
        message: `An order Cryptobot did not place is open on ${account.exchange} (${description}, exchange id ${remote.id}). Cryptobot leaves it alone: it is not tracked, adopted or canceled.`,
        accountId: account.id,
        dedupeKey: `reconcile:external:${account.id}:${remote.id}`,
        details: {
          exchangeOrderId: remote.id,
          clientOrderId: remote.clientOrderId,
          symbol: remote.symbol,
          side: remote.side,
          type: remote.type,
          amount: remote.amount,
          price: remote.price,
        },
      });
    } else if (isTerminal(mine.status)) {
      await raiseAlert(db, {
        userId: account.userId,
        kind: 'reconciliation',
        severity: 'critical',
        message: `Order ${mine.clientOrderId} is ${mine.status} in Cryptobot but open on ${account.exchange} (${description}). Check it on the exchange: Cryptobot will not touch it.`,
        accountId: account.id,
        orderId: mine.id,
        dedupeKey: `reconcile:settled-but-open:${mine.id}`,
        details: { exchangeOrderId: remote.id, clientOrderId: mine.clientOrderId, status: mine.status },
      });
    }
  }
}

/**
 * The accounts a reconcile pass visits: those with orders that are not settled (new, open, partially
 * filled, unknown) and, with `allExchangeAccounts` (the worker's first pass), every real account with
 * credentials, so orders placed outside Cryptobot are flagged even where Cryptobot has none open.
 */
export async function accountsToReconcile(db: Db, options: { allExchangeAccounts?: boolean } = {}): Promise<string[]> {
  const withOrders = await db.selectDistinct({ id: orders.accountId }).from(orders).where(inArray(orders.status, OPEN_STATUSES));
  const ids = new Set(withOrders.map((r) => r.id));
  if (options.allExchangeAccounts) {
    const real = await db
      .select({ id: exchangeAccounts.id })
      .from(exchangeAccounts)
      .where(and(ne(exchangeAccounts.exchange, PAPER_EXCHANGE), isNotNull(exchangeAccounts.credentialsCiphertext)));
    for (const r of real) ids.add(r.id);
  }
  return [...ids].sort();
}
