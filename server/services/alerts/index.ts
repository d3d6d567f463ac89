/**
 * Alerts: what a trader must see (order rejections, risk refusals, circuit breakers, reconciliation
 * findings, kill switch use). Raised by the worker and the services, listed on the dashboard, pushed live
 * through `notifyEvent` ({kind: 'alert'}). A `dedupeKey` makes a repeated finding one row.
 */
import { and, desc, eq, isNull } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { alerts, users, type AlertSeverity } from '@/db/schema';
import { AppError } from '@/server/core/errors';
import { alertEvent, notifyEvent } from '@/server/services/events';
import type { AlertView } from './views';

export const ALERT_KINDS = [
  'order_rejected',
  'risk_rejected',
  'circuit_breaker',
  'reconciliation',
  'deployment_failed',
  'deployment_completed',
  'kill_switch',
  'worker_restarted',
  'signal_rejected',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export interface RaiseAlertInput {
  userId: string;
  kind: AlertKind;
  severity: AlertSeverity;
  message: string;
  deploymentId?: string | null;
  accountId?: string | null;
  orderId?: string | null;
  details?: Record<string, unknown>;
  /** Same key (per user) → the alert is raised once. */
  dedupeKey?: string;
}

type AlertRow = typeof alerts.$inferSelect;

export function toAlertView(row: AlertRow): AlertView {
  return {
    id: row.id,
    kind: row.kind,
    severity: row.severity,
    message: row.message,
    deploymentId: row.deploymentId,
    accountId: row.accountId,
    orderId: row.orderId,
    details: row.details,
    createdAt: row.createdAt.toISOString(),
    acknowledgedAt: row.acknowledgedAt ? row.acknowledgedAt.toISOString() : null,
  };
}

/** Raises an alert (in the caller's transaction, if any); returns null when its dedupeKey was raised before. */
export async function raiseAlert(db: DbOrTx, input: RaiseAlertInput): Promise<AlertView | null> {
  const [row] = await db
    .insert(alerts)
    .values({
      userId: input.userId,
      kind: input.kind,
      severity: input.severity,
      message: input.message,
      deploymentId: input.deploymentId ?? null,
      accountId: input.accountId ?? null,
      orderId: input.orderId ?? null,
      details: input.details ?? {},
      dedupeKey: input.dedupeKey ?? null,
    })
    .onConflictDoNothing()
    .returning();
  if (!row) return null;
  await notifyEvent(db, alertEvent({ userId: input.userId, alertId: row.id, severity: row.severity, alertKind: row.kind, deploymentId: row.deploymentId }));
  return toAlertView(row);
}

/**
 * An alert about the installation rather than one user's trading (e.g. `npm start` restarting a crashed
 * worker): alerts belong to a user, so every admin gets the same one, each with the same `dedupeKey`.
 * Returns how many were raised.
 */
export async function raiseAdminAlert(db: DbOrTx, input: Omit<RaiseAlertInput, 'userId'>): Promise<number> {
  const admins = await db.select({ id: users.id }).from(users).where(eq(users.role, 'admin'));
  let raised = 0;
  for (const admin of admins) if (await raiseAlert(db, { ...input, userId: admin.id })) raised++;
  return raised;
}

export async function listAlerts(db: DbOrTx, userId: string, options: { unacknowledgedOnly?: boolean; limit?: number } = {}): Promise<AlertView[]> {
  const where = [eq(alerts.userId, userId)];
  if (options.unacknowledgedOnly) where.push(isNull(alerts.acknowledgedAt));
  const rows = await db
    .select()
    .from(alerts)
    .where(and(...where))
    .orderBy(desc(alerts.createdAt), desc(alerts.id))
    .limit(Math.min(Math.max(options.limit ?? 50, 1), 500));
  return rows.map(toAlertView);
}

export async function acknowledgeAlert(db: DbOrTx, userId: string, alertId: number): Promise<AlertView> {
  if (!Number.isSafeInteger(alertId) || alertId <= 0) throw AppError.notFound('alert');
  const [row] = await db
    .update(alerts)
    .set({ acknowledgedAt: new Date() })
    .where(and(eq(alerts.id, alertId), eq(alerts.userId, userId)))
    .returning();
  if (!row) throw AppError.notFound('alert');
  return toAlertView(row);
}

/** One of the user's alerts, or null (a notification renders its message; the alert may be gone). */
export async function findAlert(db: DbOrTx, userId: string, alertId: number): Promise<AlertView | null> {
  if (!Number.isSafeInteger(alertId) || alertId <= 0) return null;
  const [row] = await db
    .select()
    .from(alerts)
    .where(and(eq(alerts.id, alertId), eq(alerts.userId, userId)))
    .limit(1);
  return row ? toAlertView(row) : null;
}
