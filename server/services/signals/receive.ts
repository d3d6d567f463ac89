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
 * `pending`, and sent after it commits (execute.ts, sendLiveSignal); when its answer was lost, the sender's retry or the worker's
 * reconciler (settle-pending.ts) books it once the order has settled.
 */

import type { Db } from '@/db/client';
import { queryRows } from '@/db/raw';
import { signals } from '@/db/schema';
import { type FieldIssue } from '@/server/core/errors';
import { isSignalStrategyType } from '@/server/core/strategies/signal';
import { isUuid } from '@/server/services/accounts';
import { raiseAlert } from '@/server/services/alerts';
import { reserveAttempt, throttleKey } from '@/server/services/auth/throttle';

import type { DeploymentRow } from '@/server/services/deployments/model';
import { deploymentEvent, notifyEvents } from '@/server/services/events';
import { type OrderDeps } from '@/server/services/orders';
import { signalAnswerBody, UNAUTHORIZED, type SignalAnswer } from './answers';
import { executeSignal } from './execute';
import { ZSignalBodySchema, symbolMatches } from './body';
import { signalSecretMatches } from './secret';

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
