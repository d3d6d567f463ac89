/**
 * A parsed signal executed (docs/signals.md, steps 4 and after): one transaction locks the deployment, answers a
 * repeated id with its first outcome, decides (decide.ts) and places a paper order through the orders service; a
 * live order is recorded `pending` and sent after the commit (sendLiveSignal), and a retry, or the reconciler
 * (settle-pending.ts), finishes it with the same clientOrderId.
 */

import type { Db } from '@/db/client';
import { signals } from '@/db/schema';
import { AppError } from '@/server/core/errors';

import { findOwnedAccount, PAPER_EXCHANGE, type AccountRow } from '@/server/services/accounts';
import { raiseAlert } from '@/server/services/alerts';

import { numberToDecimalString } from '@/server/services/deployments/machine-orders';
import type { DeploymentRow } from '@/server/services/deployments/model';
import { pauseForRisk } from '@/server/services/deployments/tick-transitions';
import { deploymentEvent, notifyEvents, type AppEvent } from '@/server/services/events';
import { defaultPaperPriceSource, executeOrder, LeaseLostError, type ExecutedOrder, type OrderDeps } from '@/server/services/orders';
import { isTerminal } from '@/server/core/orders/state-machine';
import { answerOf, signalClientOrderId, type SignalAnswer } from './answers';
import { bookFill, decide, liveReferencePrice, lockDeployment, markedState, writeState, type Decided, type PendingOrder } from './decide';
import { and, eq } from 'drizzle-orm';
import { type SignalBody } from './body';
import { type SignalRow } from './views';

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
  // Asked before the transaction (no lock held across the network), and not for a repeat, which uses none: a
  // repeated id is looked up first (the transaction's own look-up, after the lock, is the one that decides).
  const repeat =
    live &&
    (
      await db
        .select({ id: signals.id })
        .from(signals)
        .where(and(eq(signals.deploymentId, deploymentId), eq(signals.signalId, signal.id)))
        .limit(1)
    ).length > 0;
  const livePrice = live && !repeat ? await liveReferencePrice(account, target.symbol, orderDeps).catch(() => null) : null;
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
    const settled = order !== null && isTerminal(order.status);
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
