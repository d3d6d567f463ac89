import { and, desc, eq, inArray, lt, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { auditEvents, users } from '@/db/schema';
import type { AuditEventPage } from './audit-views';

/**
 * Every audit event type, grouped by area. Adding one is one line here (and a label in
 * components/audit/labels.ts); the audit page and `GET /api/v1/audit` filter on these.
 */
export const AUDIT_EVENT_TYPES = {
  auth: [
    'auth.registered',
    'auth.sign_in',
    'auth.sign_in_failed',
    'auth.token_refreshed',
    'auth.refresh_reuse_detected',
    'invite.created',
    'invite.used',
    'invite.revoked',
  ],
  account: ['account.password_changed', 'account.signed_out_everywhere'],
  keys: ['key.created', 'key.rotated', 'key.auto_rotated', 'key.successor_fetched', 'key.revoked', 'key.used_during_grace', 'key.emergency_revocation'],
  exchange: ['exchange_account.added', 'exchange_account.changed', 'exchange_account.removed', 'exchange_account.credentials_reencrypted'],
  trading: ['deployment.live_started', 'deployment.stopped', 'kill_switch.activated', 'kill_switch.released', 'signal.secret_rotated'],
  data: ['market_data.series_deleted', 'market_data.price_level_confirmed'],
} as const;

export type AuditCategory = keyof typeof AUDIT_EVENT_TYPES;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[AuditCategory][number];

export interface AuditEntry {
  type: AuditEventType;
  userId?: string | null;
  username?: string | null;
  ip?: string | null;
  details?: Record<string, unknown>;
  /** Defaults to the database's now(); services with a clock pass theirs. */
  at?: Date;
}

/** Records a security event. Callers pass ids and facts, never secrets. */
export async function recordAudit(db: DbOrTx, entry: AuditEntry): Promise<void> {
  await db.insert(auditEvents).values({
    type: entry.type,
    userId: entry.userId ?? null,
    username: entry.username ?? null,
    ip: entry.ip ?? null,
    details: entry.details ?? {},
    ...(entry.at ? { createdAt: entry.at } : {}),
  });
}

/**
 * A page of audit events, newest first. A user sees only events about their own account; an admin may
 * ask for everyone's (`allUsers`). `before` is the id of the last event of the previous page.
 */
export async function listAuditEvents(
  db: DbOrTx,
  viewer: { id: string; role: 'admin' | 'user' },
  query: { allUsers?: boolean; category?: AuditCategory; before?: number; limit?: number } = {},
): Promise<AuditEventPage> {
  const limit = Math.min(Math.max(query.limit ?? 50, 1), 200);
  const where: SQL[] = [];
  if (!(query.allUsers && viewer.role === 'admin')) where.push(eq(auditEvents.userId, viewer.id));
  if (query.category) where.push(inArray(auditEvents.type, [...AUDIT_EVENT_TYPES[query.category]]));
  if (query.before !== undefined) where.push(lt(auditEvents.id, query.before));
  const rows = await db
    .select({
      id: auditEvents.id,
      type: auditEvents.type,
      userId: auditEvents.userId,
      presented: auditEvents.username,
      current: users.username,
      ip: auditEvents.ip,
      details: auditEvents.details,
      createdAt: auditEvents.createdAt,
    })
    .from(auditEvents)
    .leftJoin(users, eq(users.id, auditEvents.userId))
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(auditEvents.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  return {
    events: page.map((r) => ({
      id: r.id,
      type: r.type,
      userId: r.userId,
      username: r.current ?? r.presented,
      ip: r.ip,
      details: r.details,
      createdAt: r.createdAt,
    })),
    nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
  };
}
