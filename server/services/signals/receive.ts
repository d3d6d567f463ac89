/**
 * A signal arriving on a deployment's webhook (docs/signals.md). In order:
 *   1. the secret (401 for a wrong one and for an unknown deployment alike: existence never leaks);
 *   2. the throttle, per deployment (429), counted in auth_throttles like every other throttle;
 *   3. the body (422 naming the field; recorded as an `invalid` signal, raised as an alert);
 *   4. ONE transaction whose first statement locks the deployment row and reads the kill switch latches FOR SHARE
 *      (the rule of kill-switch/latch.ts): then a signal with an `id` already seen answers that first signal's
 *      stored outcome (concurrent duplicates wait on the row lock, so the second always sees the first); otherwise
 *      the replay window, the deployment's state, the kill switch and the risk rules (the strategy machine's
 *      rules: machine-orders.ts) decide, and the order goes through the orders service's `executeOrder`, in this
 *      transaction, with a clientOrderId derived from (deployment, signal id). The runner's state, the order, its
 *      fill and the signal row commit together or not at all.
 * A paper signal's order is placed inside that transaction (no network). A live one's is decided there, recorded as
 * `pending`, and sent after it commits (sendLiveSignal); when its answer was lost, the sender's retry or the worker's
 * reconciler (settle-pending.ts) books it once the order has settled.
 */
import { createHash } from 'node:crypto';
import type { Db, DbOrTx } from '@/db/client';
import { queryRows, rowFromDriver } from '@/db/raw';
import { deployments, signals } from '@/db/schema';
import { AppError, type FieldIssue } from '@/server/core/errors';
import { createStrategy } from '@/server/core/strategies/registry';
import { isSignalStrategyType } from '@/server/core/strategies/signal';
import { StrategyMachine, type MachineState } from '@/server/core/trading';
import { exchangeFor, findOwnedAccount, isUuid, PAPER_EXCHANGE, type AccountRow } from '@/server/services/accounts';
import { raiseAlert } from '@/server/services/alerts';
import { reserveAttempt, throttleKey } from '@/server/services/auth/throttle';
import { decideBuy } from '@/server/services/deployments/buy-verdict';
import { machineFill, numberToDecimalString } from '@/server/services/deployments/machine-orders';
import type { DeploymentRow } from '@/server/services/deployments/model';
import { pauseForRisk } from '@/server/services/deployments/tick-transitions';
import { deploymentEvent, notifyEvents, type AppEvent } from '@/server/services/events';
import { haltingLatch, engagedLatchesSql, killSwitchError, latchFromRow } from '@/server/services/kill-switch/latch';
import { defaultPaperPriceSource, executeOrder, LeaseLostError, type ExecutedFill, type ExecutedOrder, type OrderDeps } from '@/server/services/orders';
import { and, eq } from 'drizzle-orm';
import { ZSignalBodySchema, symbolMatches, type SignalBody } from './body';
import { signalSecretMatches } from './secret';
import { toSignalView, type SignalRow } from './views';

export interface SignalOptions {
  /** Signals per deployment per window (default 60 a minute). */
  throttle?: { limit: number; windowMs: number };
  /** A signal whose `time` is further than this from now is refused (default 5 minutes). */
  replayWindowMs?: number;
  now?: () => number;
  orderDeps?: OrderDeps;
}

export const DEFAULT_SIGNAL_THROTTLE = { limit: 60, windowMs: 60_000 };
export const DEFAULT_REPLAY_WINDOW_MS = 5 * 60_000;

/** What the route answers: the status and body of this signal's outcome (a duplicate: the first one's, marked). */
export interface SignalAnswer {
  status: number;
  /** executed (201; 200 for a repeated id) or a live order pending (202): `body` is a SignalAnswerBody; otherwise an error body (400/409/422) */
  executed: boolean;
  body: Record<string, unknown>;
}

const UNAUTHORIZED = () => new AppError('UNAUTHORIZED', 'unknown deployment or wrong signal secret');

/** The clientOrderId of a signal's order: "cbs" + 29 hex chars of sha256 over (deployment, signal id): never two orders for one signal. */
export function signalClientOrderId(deploymentId: string, signalId: string): string {
  return `cbs${createHash('sha256')
    .update(JSON.stringify([deploymentId, signalId]))
    .digest('hex')
    .slice(0, 29)}`;
}

function errorBody(code: 'UNPROCESSABLE' | 'CONFLICT' | 'BAD_REQUEST', message: string, details: Record<string, unknown>): Record<string, unknown> {
  return { error: { code, message, details } };
}

/**
 * The answer to a signal, from its row: the first answer and every duplicate's (marked `duplicate`) are the same.
 * Executed: {signal, duplicate}; refused: a 409 error naming why; invalid: a 422 (400: not JSON) naming the fields.
 */
function signalAnswerBody(row: SignalRow, duplicate: boolean): Record<string, unknown> {
  const { orderStatus = null, fields, order: _order, ...details } = row.details;
  const signal = toSignalView(row, orderStatus);
  if (row.outcome === 'executed' || row.outcome === 'pending') return { signal, duplicate };
  const body =
    row.outcome === 'refused'
      ? errorBody('CONFLICT', `signal refused: ${row.reason}`, { ...details, signal })
      : errorBody(row.httpStatus === 400 ? 'BAD_REQUEST' : 'UNPROCESSABLE', row.reason ?? 'invalid signal', { fields: fields ?? [], signal });
  return duplicate ? { ...body, duplicate } : body;
}

/** The raw body as the sender's fields, for the record of an invalid signal (strings only, cut short). */
function rawFields(raw: unknown): Partial<Record<'signalId' | 'action' | 'symbol' | 'size' | 'price', string>> {
  if (typeof raw !== 'object' || raw === null) return {};
  const r = raw as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v).slice(0, 64) : undefined);
  return { action: text(r.action), symbol: text(r.symbol), size: text(r.size), price: text(r.price) };
}

/**
 * Receives one signal for a deployment; `body` is the request's text (TradingView sends JSON as text/plain).
 * Throws AppError for what is not recorded (401, 429); answers every recorded outcome.
 */
export async function receiveSignal(db: Db, deploymentId: string, secret: string | null, bodyText: string, options: SignalOptions = {}): Promise<SignalAnswer> {
  const now = (options.now ?? Date.now)();
  if (!secret || !isUuid(deploymentId)) throw UNAUTHORIZED();
  const [target] = await queryRows<{
    user_id: string;
    account_id: string;
    secret_hash: string;
    strategy: DeploymentRow['strategy'];
    state: DeploymentRow['state'];
  }>(
    db,
    `select d.user_id, d.account_id, s.secret_hash, d.strategy, d.state from signal_secrets s join deployments d on d.id = s.deployment_id where s.deployment_id = $1::uuid`,
    [deploymentId],
  );
  if (!target || !signalSecretMatches(secret, target.secret_hash) || !isSignalStrategyType(target.strategy.type)) throw UNAUTHORIZED();
  const userId = target.user_id;

  const throttle = options.throttle ?? DEFAULT_SIGNAL_THROTTLE;
  await reserveAttempt(
    db,
    [{ key: throttleKey('signal', 'deployment', deploymentId), limit: throttle.limit }],
    { windowMs: throttle.windowMs, now: () => new Date(now) },
    `too many signals for this deployment (at most ${throttle.limit} per ${throttle.windowMs / 1000} s)`,
  );

  // The body: JSON whatever the content type (TradingView posts its message as text/plain).
  let raw: unknown;
  try {
    raw = JSON.parse(bodyText);
  } catch {
    return recordInvalid(db, target, deploymentId, {}, [{ field: '(body)', message: 'is not JSON: send the alert message as a JSON object' }], now);
  }
  const parsed = ZSignalBodySchema.safeParse(raw);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => ({
      field: issue.path.map(String).join('.') || '(body)',
      message: issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : issue.message,
    }));
    return recordInvalid(db, target, deploymentId, rawFields(raw), fields, now);
  }
  const signal = parsed.data;
  if (!symbolMatches(signal.symbol, target.strategy.symbol)) {
    return recordInvalid(
      db,
      target,
      deploymentId,
      rawFields(raw),
      [{ field: 'symbol', message: `this deployment trades ${target.strategy.symbol}, not ${signal.symbol}` }],
      now,
    );
  }
  const window = options.replayWindowMs ?? DEFAULT_REPLAY_WINDOW_MS;
  if (signal.time !== undefined && Math.abs(now - signal.time) > window) {
    return recordInvalid(
      db,
      target,
      deploymentId,
      rawFields(raw),
      [
        {
          field: 'time',
          message: `is ${Math.round((now - signal.time) / 1000)} s from the server's clock: only signals within ±${window / 1000} s are taken (a replay or a stale alert)`,
        },
      ],
      now,
    );
  }
  return executeSignal(db, userId, deploymentId, { accountId: target.account_id, symbol: target.strategy.symbol }, signal, now, options.orderDeps ?? {});
}

/** Records an invalid signal (no id claimed), raises an alert, and answers 422 (400 for a body that is not JSON). */
async function recordInvalid(
  db: Db,
  target: { user_id: string; state: DeploymentRow['state'] },
  deploymentId: string,
  fields: ReturnType<typeof rawFields>,
  issues: FieldIssue[],
  now: number,
): Promise<SignalAnswer> {
  const userId = target.user_id;
  const status = issues[0]?.field === '(body)' && issues[0].message.startsWith('is not JSON') ? 400 : 422;
  const message = `invalid signal: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`;
  const [row] = await db
    .insert(signals)
    .values({
      deploymentId,
      userId,
      signalId: null,
      action: fields.action ?? null,
      symbol: fields.symbol ?? null,
      size: fields.size ?? null,
      price: fields.price ?? null,
      receivedAt: new Date(now),
      outcome: 'invalid',
      reason: message.slice(0, 500),
      httpStatus: status,
      details: { fields: issues },
    })
    .returning();
  const body = signalAnswerBody(row!, false);
  await raiseAlert(db, {
    userId,
    deploymentId,
    kind: 'signal_rejected',
    severity: 'warning',
    message: message.slice(0, 500),
    details: { signalRowId: row!.id, fields: issues },
    dedupeKey: `signal:${row!.id}`,
  });
  // The deployment page lists its signals: it refetches on its deployment's events.
  await notifyEvents(db, [deploymentEvent({ userId, deploymentId, state: target.state })]);
  return { status, body, executed: false };
}

interface Locked {
  row: DeploymentRow;
  killSwitch: unknown[] | null;
}

/**
 * The fence: the deployment row FOR UPDATE (its latest version, whole) with the kill switch latches read FOR SHARE,
 * in the transaction's first statement: one round trip.
 */
async function lockDeployment(tx: DbOrTx, deploymentId: string, userId: string): Promise<Locked> {
  const [locked] = await queryRows<{ kill_switch: unknown[] | null } & Record<string, unknown>>(
    tx,
    `with halt as (${engagedLatchesSql('$2::uuid')})
     select d.*, (select json_agg(latch) from halt) as kill_switch from deployments d where d.id = $1::uuid for update of d`,
    [deploymentId, userId],
  );
  if (!locked) throw UNAUTHORIZED();
  return { row: rowFromDriver(deployments, locked), killSwitch: locked.kill_switch };
}

type Decided =
  | { kind: 'refused'; reason: string; details?: Record<string, unknown>; alerted?: boolean; pause?: boolean }
  | { kind: 'order'; side: 'buy' | 'sell'; quantity: number; referencePrice: number };

/** What a live signal's order is, kept on its `pending` row until the order settles (a retry sends the same order). */
interface PendingOrder {
  side: 'buy' | 'sell';
  quantity: string;
  referencePrice: number;
}

/**
 * The latest price of a live deployment's market, read from its exchange BEFORE the transaction (no transaction
 * waits on the network): the buy's reference price for sizing and the risk rules, and the mark of the equity.
 */
async function liveReferencePrice(account: AccountRow, symbol: string, deps: OrderDeps): Promise<number | null> {
  const ticker = await exchangeFor(account, deps).exchange.fetchTicker(symbol);
  const price = Number(ticker.last ?? ticker.ask ?? ticker.bid);
  return Number.isFinite(price) && price > 0 ? price : null;
}

/**
 * The deployment's runner state with the equity marked at `price` (a signal deployment has no bars to mark it on),
 * its peak, and the UTC day's starting equity rolled over, as a strategy's tick does on each bar.
 */
function markedState(row: DeploymentRow, price: number | null, now: number): MachineState {
  const state = structuredClone(row.runner as unknown as MachineState);
  if (price !== null) {
    state.lastClose = price;
    state.equity = state.cash + state.quantity * price;
    if (state.equity > state.equityPeak) state.equityPeak = state.equity;
  }
  const day = Math.floor(now / 86_400_000) * 86_400_000;
  if (state.dayStartMs !== day) {
    state.dayStartMs = day;
    state.dayStartEquity = state.equity;
  }
  return state;
}

function machineOf(row: DeploymentRow, account: AccountRow, state: MachineState): StrategyMachine {
  const strategy = createStrategy(row.strategy.type, row.strategy.params);
  return new StrategyMachine(state, strategy, {
    capital: Number(row.capitalQuote),
    feeRate: Number(account.feeRate ?? '0.001'),
    slippage: Number(account.slippage ?? '0.0005'),
  });
}

/**
 * What the signal asks for, given the deployment NOW (its row locked): refused (not running, the kill switch,
 * nothing to sell, a risk verdict) or an order. A buy is sized by the strategy machine (`positionSizePct` of the
 * cash, fee included) unless it names `size`, then judged by the one buy verdict every deployment's buy gets
 * (deployments/buy-verdict.ts), which raises its alert.
 */
async function decide(tx: DbOrTx, locked: Locked, account: AccountRow, state: MachineState, signal: SignalBody, price: number | null): Promise<Decided> {
  const { row, killSwitch } = locked;
  if (row.state !== 'running')
    return { kind: 'refused', reason: `the deployment is ${row.state}${row.stateReason ? ` (${row.stateReason})` : ''}: it takes no signals` };
  const latch = haltingLatch((killSwitch ?? []).map(latchFromRow));
  if (latch) return { kind: 'refused', reason: killSwitchError(latch).message, details: { killSwitch: latch } };
  if (price === null) return { kind: 'refused', reason: `no price for ${row.strategy.symbol} to trade at` };
  if (signal.action === 'sell' || signal.action === 'exit') {
    if (!(state.quantity > 0)) return { kind: 'refused', reason: `nothing to ${signal.action}: the deployment holds no ${row.strategy.symbol.split('/')[0]}` };
    const quantity = signal.action === 'sell' && signal.size !== undefined ? Math.min(Number(signal.size), state.quantity) : state.quantity;
    return { kind: 'order', side: 'sell', quantity, referencePrice: price };
  }
  let quantity: number;
  if (signal.size !== undefined) quantity = Number(signal.size);
  else {
    // The strategy machine's own sizing of an entry filling at this price.
    const machine = machineOf(row, account, state);
    state.pending = { side: 'buy', barTime: signal.time ?? 0, intent: 'enter' };
    quantity = machine.pendingOrder({ time: 0, open: price, high: price, low: price, close: price })?.quantity ?? 0;
    state.pending = null;
  }
  const verdict = await decideBuy(tx, {
    row,
    account,
    state,
    quantity,
    referencePrice: price,
    label: `signal ${signal.id} (buy)`,
    decisionKey: `${row.id}:signal:${signal.id}`,
  });
  if (verdict.kind === 'buy') return { kind: 'order', side: 'buy', quantity: verdict.quantity, referencePrice: price };
  return { kind: 'refused', reason: verdict.reason, details: { rule: verdict.rule }, alerted: true, pause: verdict.kind === 'pause' };
}

/** Books an order's fills on the runner state (the strategy machine's applyFill), marked at `mark`; false: no fill. */
function bookFill(
  row: DeploymentRow,
  account: AccountRow,
  state: MachineState,
  symbol: string,
  fills: readonly ExecutedFill[],
  side: 'buy' | 'sell',
  now: number,
): boolean {
  const fill = machineFill(symbol, fills, side, now);
  if (!fill) return false;
  machineOf(row, account, state).applyFill(fill, 'signal');
  const mark = state.lastClose ?? fill.price;
  state.equity = state.cash + state.quantity * mark;
  if (state.equity > state.equityPeak) state.equityPeak = state.equity;
  return true;
}

async function writeState(tx: DbOrTx, deploymentId: string, state: MachineState, signal: SignalBody, now: number): Promise<void> {
  await tx
    .update(deployments)
    .set({
      runner: state as unknown as Record<string, unknown>,
      lastDecision: { barTime: now, decision: signal.action, at: new Date(now).toISOString(), note: `signal ${signal.id}` },
      updatedAt: new Date(now),
    })
    .where(eq(deployments.id, deploymentId));
}

function answerOf(row: SignalRow, duplicate: boolean): SignalAnswer {
  const status = duplicate && (row.httpStatus === 201 || row.httpStatus === 202) ? (row.httpStatus === 201 ? 200 : 202) : row.httpStatus;
  return { status, body: signalAnswerBody(row, duplicate), executed: row.outcome === 'executed' || row.outcome === 'pending' };
}

type FirstStep = { answer: SignalAnswer } | { send: SignalRow; order: PendingOrder; row: DeploymentRow; duplicate: boolean };

/** A parsed signal for a deployment, decided and executed; a `pending` one's repeat finishes its order (settle-pending.ts too). */
export async function executeSignal(
  db: Db,
  userId: string,
  deploymentId: string,
  target: { accountId: string; symbol: string },
  signal: SignalBody,
  now: number,
  orderDeps: OrderDeps,
): Promise<SignalAnswer> {
  const account = await findOwnedAccount(db, userId, target.accountId);
  const live = account.exchange !== PAPER_EXCHANGE;
  // An exchange that does not answer leaves no price: the signal is refused ("no price"), recorded and alerted.
  const livePrice = live ? await liveReferencePrice(account, target.symbol, orderDeps).catch(() => null) : null;
  const events: AppEvent[] = [];
  const first = await db.transaction(async (tx): Promise<FirstStep> => {
    const locked = await lockDeployment(tx, deploymentId, userId);
    const { row } = locked;
    // Two statements sent together (one round trip): the repeat check, after the lock (so a concurrent copy's row is
    // seen), and the paper price (unused for a repeat).
    const [[seen], price] = await Promise.all([
      tx
        .select()
        .from(signals)
        .where(and(eq(signals.deploymentId, deploymentId), eq(signals.signalId, signal.id)))
        .limit(1)
        .execute(),
      live
        ? livePrice
        : (orderDeps.prices ?? defaultPaperPriceSource)(tx)
            .latest(row.strategy.symbol)
            .then((quote) => quote?.price ?? null),
    ]);
    if (seen) {
      // A live signal whose order has not settled: the retry finishes it with the same clientOrderId (never a second order).
      if (seen.outcome === 'pending') return { send: seen, order: seen.details.order as PendingOrder, row, duplicate: true };
      return { answer: answerOf(seen, true) };
    }
    const state = markedState(row, price, now);
    let decided: Decided;
    const [unsettled] = live
      ? await tx
          .select({ signalId: signals.signalId })
          .from(signals)
          .where(and(eq(signals.deploymentId, deploymentId), eq(signals.outcome, 'pending')))
          .limit(1)
      : [];
    if (unsettled)
      decided = { kind: 'refused', reason: `signal ${unsettled.signalId}'s order has not settled yet: send that signal again to settle it, then this one` };
    else decided = await decide(tx, locked, account, state, signal, price);

    let outcome: SignalRow['outcome'] = 'refused';
    let reason: string | null = null;
    let orderId: string | null = null;
    let orderStatus: string | null = null;
    let details: Record<string, unknown> = {};
    let pending: PendingOrder | null = null;
    if (decided.kind === 'refused') {
      reason = decided.reason;
      details = decided.details ?? {};
    } else if (live) {
      // The live order is sent after this transaction commits (its row must be committed before the exchange call).
      outcome = 'pending';
      pending = { side: decided.side, quantity: numberToDecimalString(decided.quantity), referencePrice: decided.referencePrice };
      details = { order: pending };
    } else {
      const executed = await executeOrder(
        db,
        userId,
        account,
        {
          accountId: account.id,
          symbol: row.strategy.symbol,
          side: decided.side,
          type: 'market',
          quantity: numberToDecimalString(decided.quantity),
          clientOrderId: signalClientOrderId(deploymentId, signal.id),
          deploymentId,
        },
        { tx, fitQuantity: decided.side === 'sell', announce: (event) => events.push(event), deps: orderDeps },
      );
      if (executed === null) reason = 'the quantity is below the market’s minimum';
      else {
        orderId = executed.order.id;
        orderStatus = executed.order.status;
        if (bookFill(row, account, state, executed.order.symbol, executed.fills, decided.side, now)) outcome = 'executed';
        else reason = `the order was ${executed.order.status}: ${executed.order.statusReason ?? 'no reason given'}`;
      }
    }
    const status = outcome === 'executed' ? 201 : outcome === 'pending' ? 202 : 409;
    // The runner state and the signal row go out together (one round trip).
    const stateWritten = outcome === 'executed' ? writeState(tx, deploymentId, state, signal, now) : null;
    const signalInserted = tx
      .insert(signals)
      .values({
        deploymentId,
        userId,
        signalId: signal.id,
        action: signal.action,
        symbol: signal.symbol,
        size: signal.size ?? null,
        price: signal.price ?? null,
        signalTime: signal.time !== undefined ? new Date(signal.time) : null,
        receivedAt: new Date(now),
        outcome,
        reason: reason?.slice(0, 500) ?? null,
        orderId,
        httpStatus: status,
        details: { ...details, orderStatus },
      })
      .returning()
      .execute();
    const [[inserted]] = await Promise.all([signalInserted, stateWritten]);
    let stateNow = row.state;
    if (outcome === 'refused') {
      // A risk verdict raised its own alert (risk_rejected or circuit_breaker); every other refusal is a signal_rejected.
      if (!(decided.kind === 'refused' && decided.alerted))
        await raiseAlert(tx, {
          userId,
          deploymentId,
          accountId: row.accountId,
          orderId,
          kind: 'signal_rejected',
          severity: 'warning',
          message: `signal ${signal.id} (${signal.action}) refused: ${reason}`.slice(0, 500),
          details: { signalRowId: inserted!.id, ...details },
          dedupeKey: `signal:${inserted!.id}`,
        });
      // A circuit breaker pauses the deployment as it does a strategy's (the transition table, under the row's epoch).
      if (decided.kind === 'refused' && decided.pause && (await pauseForRisk(tx, { row, epoch: row.leaseEpoch }, reason!, now))) stateNow = 'paused';
    }
    // The deployment page lists its signals: it refetches on its deployment's events (not a state change: followUp).
    events.push(deploymentEvent({ userId, deploymentId, state: stateNow, followUp: true }));
    await notifyEvents(tx, events);
    if (pending) return { send: inserted!, order: pending, row, duplicate: false };
    return { answer: answerOf(inserted!, false) };
  });
  if ('answer' in first) return first.answer;
  return sendLiveSignal(db, userId, account, first, signal, now, orderDeps);
}

/**
 * A live signal's order, after its `pending` row committed: through the orders service's one execute call (the order
 * row committed before the exchange is called, fenced by the deployment's epoch, the market order settled at once
 * when its answer did not), then its fills booked on the runner state and the signal's outcome written, in one
 * transaction that locks the deployment row again. A retry of the same signal comes here with the same clientOrderId.
 */
async function sendLiveSignal(
  db: Db,
  userId: string,
  account: AccountRow,
  step: { row: DeploymentRow; send: SignalRow; order: PendingOrder; duplicate: boolean },
  signal: SignalBody,
  now: number,
  orderDeps: OrderDeps,
): Promise<SignalAnswer> {
  const { row, send: sent, order: pending, duplicate } = step;
  let executed: ExecutedOrder | null = null;
  let failure: string | null = null;
  try {
    executed = await executeOrder(
      db,
      userId,
      account,
      {
        accountId: account.id,
        symbol: row.strategy.symbol,
        side: pending.side,
        type: 'market',
        quantity: pending.quantity,
        clientOrderId: signalClientOrderId(row.id, sent.signalId!),
        deploymentId: row.id,
        fenceEpoch: row.leaseEpoch,
      },
      { fitQuantity: true, settleAtOnce: true, deps: orderDeps },
    );
    if (executed === null) failure = 'the quantity is below the market’s minimum';
  } catch (error) {
    if (error instanceof LeaseLostError) failure = 'the deployment stopped running before the order was sent';
    else if (error instanceof AppError) failure = error.message;
    else throw error;
  }
  const events: AppEvent[] = [];
  return db.transaction(async (tx) => {
    const locked = await lockDeployment(tx, row.id, userId);
    const [current] = await tx.select().from(signals).where(eq(signals.id, sent.id));
    if (!current || current.outcome !== 'pending') return answerOf(current ?? sent, true); // a concurrent retry finished it
    const order = executed?.order ?? null;
    const settled = order !== null && ['filled', 'canceled', 'rejected', 'expired'].includes(order.status);
    if (order !== null && !settled) {
      // Not settled at once (the answer lost, still open): it stays pending; the reconciler settles the order and
      // then books it (settle-pending.ts), unless a retry of this signal books it first.
      await tx
        .update(signals)
        .set({ orderId: order.id, details: { order: pending, orderStatus: order.status } })
        .where(eq(signals.id, sent.id));
      const [again] = await tx.select().from(signals).where(eq(signals.id, sent.id));
      return answerOf(again!, duplicate);
    }
    const state = markedState(locked.row, pending.referencePrice, now);
    const booked = order !== null && bookFill(locked.row, account, state, order.symbol, executed!.fills, pending.side, now);
    if (booked) await writeState(tx, row.id, state, signal, now);
    const reason = booked ? null : (failure ?? `the order was ${order!.status}: ${order!.statusReason ?? 'no reason given'}`);
    const [updated] = await tx
      .update(signals)
      .set({
        outcome: booked ? 'executed' : 'refused',
        httpStatus: booked ? 201 : 409,
        orderId: order?.id ?? null,
        reason: reason?.slice(0, 500) ?? null,
        details: { order: pending, orderStatus: order?.status ?? null },
      })
      .where(eq(signals.id, sent.id))
      .returning();
    if (!booked)
      await raiseAlert(tx, {
        userId,
        deploymentId: row.id,
        accountId: account.id,
        orderId: order?.id ?? null,
        kind: 'signal_rejected',
        severity: 'warning',
        message: `signal ${sent.signalId} (${sent.action}) refused: ${reason}`.slice(0, 500),
        details: { signalRowId: sent.id },
        dedupeKey: `signal:${sent.id}`,
      });
    events.push(deploymentEvent({ userId, deploymentId: row.id, state: locked.row.state, followUp: true }));
    await notifyEvents(tx, events);
    return answerOf(updated!, duplicate);
  });
}
