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
 * Signal deployments are paper only (createDeployment refuses live ones), so the transaction never waits on the network.
 */
import { createHash } from 'node:crypto';
import type { Db, DbOrTx } from '@/db/client';
import { queryRows } from '@/db/raw';
import { deployments, signals } from '@/db/schema';
import { AppError, type FieldIssue } from '@/server/core/errors';
import { entryQuantity, marketFillPrice } from '@/server/core/fill-model';
import { evaluateRisk } from '@/server/core/risk';
import { createStrategy } from '@/server/core/strategies/registry';
import { isSignalStrategyType } from '@/server/core/strategies/signal';
import { StrategyMachine, type MachineState } from '@/server/core/trading';
import { findOwnedAccount, isUuid, PAPER_EXCHANGE } from '@/server/services/accounts';
import { raiseAlert } from '@/server/services/alerts';
import { reserveAttempt, throttleKey } from '@/server/services/auth/throttle';
import { machineFill, numberToDecimalString, riskLimitsOf } from '@/server/services/deployments/machine-orders';
import type { DeploymentRow } from '@/server/services/deployments/model';
import { deploymentEvent, notifyEvents, type AppEvent } from '@/server/services/events';
import { haltingLatch, engagedLatchesSql, killSwitchError, latchFromRow } from '@/server/services/kill-switch/latch';
import { defaultPaperPriceSource, executeOrder, type OrderDeps } from '@/server/services/orders';
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
  /** executed (201; 200 for a repeated id): `body` is a SignalAnswerBody; otherwise an error body (400/409/422) */
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
  const { orderStatus = null, fields, ...details } = row.details;
  const signal = toSignalView(row, orderStatus);
  if (row.outcome === 'executed') return { signal, duplicate };
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
  const [target] = await queryRows<{ user_id: string; secret_hash: string; strategy: DeploymentRow['strategy']; state: DeploymentRow['state'] }>(
    db,
    `select d.user_id, s.secret_hash, d.strategy, d.state from signal_secrets s join deployments d on d.id = s.deployment_id where s.deployment_id = $1::uuid`,
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
  return executeSignal(db, userId, deploymentId, signal, now, options.orderDeps ?? {});
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

/** The fence: the deployment row FOR UPDATE with the kill switch latches read FOR SHARE, in the transaction's first statement. */
async function lockDeployment(tx: DbOrTx, deploymentId: string, userId: string): Promise<Locked> {
  const [locked] = await queryRows<{ id: string; kill_switch: unknown[] | null }>(
    tx,
    `with halt as (${engagedLatchesSql('$2::uuid')})
     select d.id, (select json_agg(latch) from halt) as kill_switch from deployments d where d.id = $1::uuid for update of d`,
    [deploymentId, userId],
  );
  const [row] = await tx.select().from(deployments).where(eq(deployments.id, deploymentId));
  if (!locked || !row) throw UNAUTHORIZED();
  return { row, killSwitch: locked.kill_switch };
}

type Decided =
  { kind: 'refused'; reason: string; details?: Record<string, unknown> } | { kind: 'order'; side: 'buy' | 'sell'; quantity: number; referencePrice: number };

async function executeSignal(db: Db, userId: string, deploymentId: string, signal: SignalBody, now: number, orderDeps: OrderDeps): Promise<SignalAnswer> {
  const events: AppEvent[] = [];
  const answer = await db.transaction(async (tx): Promise<SignalAnswer> => {
    const { row, killSwitch } = await lockDeployment(tx, deploymentId, userId);
    const [seen] = await tx
      .select()
      .from(signals)
      .where(and(eq(signals.deploymentId, deploymentId), eq(signals.signalId, signal.id)))
      .limit(1);
    if (seen) return { status: seen.httpStatus === 201 ? 200 : seen.httpStatus, body: signalAnswerBody(seen, true), executed: seen.outcome === 'executed' };

    const account = await findOwnedAccount(tx, userId, row.accountId);
    const state = structuredClone(row.runner as unknown as MachineState);
    const strategy = createStrategy(row.strategy.type, row.strategy.params);
    const feeRate = Number(account.feeRate ?? '0.001');
    const slippage = Number(account.slippage ?? '0.0005');
    const machine = new StrategyMachine(state, strategy, { capital: Number(row.capitalQuote), feeRate, slippage });
    const prices = (orderDeps.prices ?? defaultPaperPriceSource)(tx);

    const decided = await decide();
    async function decide(): Promise<Decided> {
      if (row.state !== 'running')
        return { kind: 'refused', reason: `the deployment is ${row.state}${row.stateReason ? ` (${row.stateReason})` : ''}: it takes no signals` };
      const latch = haltingLatch((killSwitch ?? []).map(latchFromRow));
      if (latch) return { kind: 'refused', reason: killSwitchError(latch).message, details: { killSwitch: latch } };
      if (account.exchange !== PAPER_EXCHANGE) return { kind: 'refused', reason: 'signal deployments trade paper accounts only' };
      const quote = await prices.latest(row.strategy.symbol);
      if (!quote) return { kind: 'refused', reason: `no price for ${row.strategy.symbol} to trade at` };
      const price = quote.price;
      if (signal.action === 'sell' || signal.action === 'exit') {
        if (!(state.quantity > 0))
          return { kind: 'refused', reason: `nothing to ${signal.action}: the deployment holds no ${row.strategy.symbol.split('/')[0]}` };
        const quantity = signal.action === 'sell' && signal.size !== undefined ? Math.min(Number(signal.size), state.quantity) : state.quantity;
        return { kind: 'order', side: 'sell', quantity, referencePrice: price };
      }
      // A buy: `size` base, else positionSizePct of the deployment's cash (fee included), sized down to the maximum position.
      const fillPrice = marketFillPrice('buy', price, slippage);
      let quantity = signal.size !== undefined ? Number(signal.size) : entryQuantity(state.cash, strategy.params.positionSizePct, fillPrice, feeRate);
      if (signal.size === undefined && strategy.params.positionSizePct >= 100) quantity *= 1 - 1e-10;
      if (row.maxPositionQuote !== null) quantity = Math.min(quantity, (Number(row.maxPositionQuote) / fillPrice - state.quantity) * (1 - 1e-9));
      if (!(quantity > 0))
        return { kind: 'refused', reason: `the position is already at its maximum (${row.maxPositionQuote})`, details: { rule: 'max_position' } };
      const equity = state.cash + state.quantity * price;
      const verdict = evaluateRisk(
        { side: 'buy', quantity: numberToDecimalString(quantity), price: numberToDecimalString(price) },
        {
          positionQuantity: numberToDecimalString(state.quantity),
          positionEntryPrice: state.quantity > 0 ? numberToDecimalString(state.entryPrice) : null,
          markPrice: numberToDecimalString(price),
          freeQuote: numberToDecimalString(state.cash),
          freeBase: numberToDecimalString(state.quantity),
          feeRate: String(feeRate),
          equity: numberToDecimalString(equity),
          equityPeak: numberToDecimalString(Math.max(state.equityPeak, equity)),
          realizedPnlToday: numberToDecimalString(equity - state.dayStartEquity),
          unrealizedPnlToday: '0',
        },
        { ...riskLimitsOf(row), maxPositionQuote: undefined },
      );
      if (!verdict.allowed)
        return { kind: 'refused', reason: `refused by the ${verdict.rule.replace(/_/g, ' ')} rule: ${verdict.reason}`, details: { rule: verdict.rule } };
      return { kind: 'order', side: 'buy', quantity, referencePrice: price };
    }

    let outcome: 'executed' | 'refused' = 'refused';
    let reason: string | null = null;
    let orderId: string | null = null;
    let orderStatus: string | null = null;
    let details: Record<string, unknown> = {};
    if (decided.kind === 'refused') {
      reason = decided.reason;
      details = decided.details ?? {};
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
        const order = executed.order;
        orderId = order.id;
        orderStatus = order.status;
        const fill = machineFill(order.symbol, executed.fills, decided.side, now);
        if (fill) {
          machine.applyFill(fill, 'signal');
          outcome = 'executed';
        } else reason = `the order was ${order.status}: ${order.statusReason ?? 'no reason given'}`;
      }
    }
    if (outcome === 'executed') {
      // Equity marked at this fill's price (a signal deployment has no bars to mark it on).
      const mark = decided.kind === 'order' ? decided.referencePrice : (state.lastClose ?? 0);
      state.lastClose = mark;
      state.equity = state.cash + state.quantity * mark;
      if (state.equity > state.equityPeak) state.equityPeak = state.equity;
      const day = Math.floor(now / 86_400_000) * 86_400_000;
      if (state.dayStartMs !== day) {
        state.dayStartMs = day;
        state.dayStartEquity = state.equity;
      }
      await tx
        .update(deployments)
        .set({
          runner: state as unknown as Record<string, unknown>,
          lastDecision: { barTime: now, decision: signal.action, at: new Date(now).toISOString(), note: `signal ${signal.id}` },
          updatedAt: new Date(now),
        })
        .where(eq(deployments.id, deploymentId));
    }
    const status = outcome === 'executed' ? 201 : 409;
    const [inserted] = await tx
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
      .returning();
    const body = signalAnswerBody(inserted!, false);
    if (outcome === 'refused')
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
    events.push(deploymentEvent({ userId, deploymentId, state: row.state }));
    await notifyEvents(tx, events);
    return { status, body, executed: outcome === 'executed' };
  });
  return answer;
}
