/**
 * The kill switch (docs/trading.md "Kill switch"): a latch per user, and a global one an admin engages for
 * everyone. While a latch is engaged every new order of the users it covers is refused with 409 (the check is in
 * the order path's first statement, ./latch.ts), their deployments stay paused and cannot be resumed or deployed,
 * and it stays so until someone releases it explicitly.
 *
 * Engaging is ONE transaction: the latch row, the deployments paused, the paper orders canceled and the
 * real-exchange orders marked cancel-requested, the audit entry, the alerts and the live events commit together
 * or not at all. It starts by locking `kill_switches` in EXCLUSIVE mode, which waits for the order transactions
 * in flight and holds new ones until the commit (./latch.ts); every writer takes that table lock before any row
 * lock the engage takes, so the wait cannot deadlock. The exchanges are asked to cancel after the commit; the
 * reconciler finishes what they did not confirm (server/services/orders/halt.ts).
 */
import { eq, isNull, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { alerts, killSwitches, users } from '@/db/schema';
import { AppError } from '@/server/core/errors';
import { logger } from '@/server/logger';
import { recordAudit } from '@/server/services/audit';
import { pauseRunningDeployments, type DeploymentDeps } from '@/server/services/deployments/deployments';
import { alertEvent, killSwitchEvent, notifyEvents, type AppEvent } from '@/server/services/events';
import { cancelOpenPaperOrders, cancelRequestedOrder, requestExchangeCancels } from '@/server/services/orders';
import { engagedLatches, haltingLatch, type KillSwitchScope } from './latch';
import type { EngageResult, KillSwitchState, ReleaseResult } from './views';

/** Longest reason, in characters; the reason is optional. */
export const KILL_SWITCH_REASON_MAX = 500;

/** Who engages or releases: the signed-in user (role decides the global latch). */
export interface KillSwitchActor {
  id: string;
  role: 'admin' | 'user';
}

/** GET /api/v1/kill-switch: what halts the caller's trading, if anything. */
function normalizeReason(reason: string | null | undefined): string | null {
  if (reason === undefined || reason === null) return null;
  if (typeof reason !== 'string') throw AppError.validation([{ field: 'reason', message: 'must be a string' }]);
  const trimmed = reason.trim();
  if (trimmed.length > KILL_SWITCH_REASON_MAX)
    throw AppError.validation([{ field: 'reason', message: `must be at most ${KILL_SWITCH_REASON_MAX} characters` }]);
  return trimmed === '' ? null : trimmed;
}

export async function getKillSwitchState(db: DbOrTx, viewer: KillSwitchActor): Promise<KillSwitchState> {
  const latches = await engagedLatches(db, viewer.id);
  const shown = haltingLatch(latches);
  return {
    engaged: shown !== null,
    scope: shown?.scope ?? null,
    since: shown?.since ?? null,
    by: shown?.by ?? null,
    reason: shown?.reason ?? null,
    latches,
    canRelease: latches.every((l) => l.scope === 'user' || viewer.role === 'admin'),
  };
}

/** PostgreSQL errors worth one more attempt of the whole engage: a deadlock or a lock wait that timed out. */
const RETRYABLE = new Set(['40P01', '55P03', '40001']);

async function withRetries<T>(attempt: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (i >= attempts || typeof code !== 'string' || !RETRYABLE.has(code)) throw error;
      logger.warn({ code, attempt: i }, 'kill switch engage retried');
    }
  }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Engages the caller's latch, or with `global` (admins only) the latch of everyone: see the file comment.
 * Engaging an engaged latch changes nothing and says so (`alreadyEngaged`).
 */
export async function engageKillSwitch(
  db: Db,
  actor: KillSwitchActor,
  input: { reason?: string | null; global?: boolean } = {},
  deps: DeploymentDeps = {},
): Promise<EngageResult> {
  const reason = normalizeReason(input.reason);
  const global = input.global === true;
  if (global && actor.role !== 'admin') throw new AppError('FORBIDDEN', 'only an admin can engage the kill switch for everyone');
  const scopeUser = global ? null : actor.id;
  const scope: KillSwitchScope = global ? 'global' : 'user';

  const outcome = await withRetries(() =>
    db.transaction(async (tx) => {
      const now = (deps.now ?? Date.now)();
      const at = new Date(now);
      await tx.execute(sql`lock table kill_switches in exclusive mode`);
      const [existing] = await tx
        .select({ id: killSwitches.id })
        .from(killSwitches)
        .where(global ? isNull(killSwitches.userId) : eq(killSwitches.userId, actor.id));
      if (existing) return null;
      await tx.insert(killSwitches).values({ userId: scopeUser, engagedAt: at, engagedBy: actor.id, reason });
      const stateReason = `kill switch${global ? ' (everyone)' : ''}${reason ? `: ${reason}` : ''}`;
      const paused = await pauseRunningDeployments(tx, scopeUser, stateReason, now);
      const canceled = await cancelOpenPaperOrders(tx, scopeUser, 'canceled by the kill switch', at, deps);
      const requested = await requestExchangeCancels(tx, scopeUser, at);
      await recordAudit(tx, {
        type: 'kill_switch.activated',
        userId: actor.id,
        at,
        details: { scope, reason, pausedDeployments: paused.length, canceledOrders: canceled.length, cancelRequested: requested.length },
      });

      // One alert and one live event per user it halts: the caller, or (global) every user.
      const affected = global ? (await tx.select({ id: users.id }).from(users)).map((u) => u.id) : [actor.id];
      const count = (rows: Array<{ userId: string }>, userId: string) => rows.filter((r) => r.userId === userId).length;
      const alertRows = affected.map((userId) => {
        const p = count(paused, userId);
        const c = count(canceled, userId);
        const r = count(requested, userId);
        return {
          userId,
          kind: 'kill_switch',
          severity: 'critical' as const,
          message: `Kill switch engaged${global ? ' for everyone by an admin' : ''}: ${plural(p, 'deployment')} paused, ${plural(c, 'order')} canceled${r ? `, ${plural(r, 'exchange order')} being canceled` : ''}. New orders are refused until it is released.${reason ? ` Reason: ${reason}` : ''}`,
          details: { scope, reason, pausedDeployments: p, canceledOrders: c, cancelRequested: r },
        };
      });
      const raised = alertRows.length ? await tx.insert(alerts).values(alertRows).returning({ id: alerts.id, userId: alerts.userId }) : [];
      const events: AppEvent[] = [
        ...raised.map((a) => alertEvent({ userId: a.userId, alertId: a.id, severity: 'critical' })),
        ...affected.map((userId) => killSwitchEvent({ userId, engaged: true, scope })),
      ];
      await notifyEvents(tx, events);
      return { paused, canceled, requested };
    }),
  );

  if (!outcome)
    return { state: await getKillSwitchState(db, actor), alreadyEngaged: true, pausedDeployments: 0, canceledOrders: 0, cancelRequested: 0, failures: [] };

  // After the commit: the exchanges (network), one order at a time; what is not confirmed stays marked for the reconciler.
  let exchangeCanceled = 0;
  const failures: string[] = [];
  for (const order of outcome.requested) {
    try {
      const result = await cancelRequestedOrder(db, order.id, 'canceled by the kill switch', deps);
      if (result === 'canceled') exchangeCanceled++;
      else if (result === 'pending') failures.push(`${order.clientOrderId}: the exchange has not confirmed the cancel yet; the reconciler will retry`);
    } catch (error) {
      failures.push(`${order.clientOrderId}: ${error instanceof AppError ? error.message : 'cancel failed; the reconciler will retry'}`);
      if (!(error instanceof AppError)) logger.warn({ orderId: order.id, err: error }, 'kill switch: exchange cancel failed');
    }
  }
  return {
    state: await getKillSwitchState(db, actor),
    alreadyEngaged: false,
    pausedDeployments: outcome.paused.length,
    canceledOrders: outcome.canceled.length + exchangeCanceled,
    cancelRequested: outcome.requested.length,
    failures,
  };
}

/**
 * Releases the caller's latch, or with `global` (admins only) the global one; audited, with an alert to every
 * user it released. Deployments stay paused: resuming them is each user's decision.
 */
export async function releaseKillSwitch(
  db: Db,
  actor: KillSwitchActor,
  input: { global?: boolean } = {},
  deps: { now?: () => number } = {},
): Promise<ReleaseResult> {
  const global = input.global === true;
  if (global && actor.role !== 'admin') throw new AppError('FORBIDDEN', 'only an admin can release the kill switch for everyone');
  const scope: KillSwitchScope = global ? 'global' : 'user';
  const released = await db.transaction(async (tx) => {
    const at = new Date((deps.now ?? Date.now)());
    const [row] = await tx
      .delete(killSwitches)
      .where(global ? isNull(killSwitches.userId) : eq(killSwitches.userId, actor.id))
      .returning();
    if (!row) return false;
    await recordAudit(tx, {
      type: 'kill_switch.released',
      userId: actor.id,
      at,
      details: { scope, engagedAt: row.engagedAt.toISOString(), reason: row.reason },
    });
    const affected = global ? (await tx.select({ id: users.id }).from(users)).map((u) => u.id) : [actor.id];
    const message = `Kill switch released${global ? ' for everyone by an admin' : ''}: new orders are accepted again. Paused deployments stay paused until you resume them.`;
    const raised = await tx
      .insert(alerts)
      .values(affected.map((userId) => ({ userId, kind: 'kill_switch', severity: 'info' as const, message, details: { scope, released: true } })))
      .returning({ id: alerts.id, userId: alerts.userId });
    await notifyEvents(tx, [
      ...raised.map((a) => alertEvent({ userId: a.userId, alertId: a.id, severity: 'info' })),
      ...affected.map((userId) => killSwitchEvent({ userId, engaged: false, scope })),
    ]);
    return true;
  });
  return { state: await getKillSwitchState(db, actor), released };
}
