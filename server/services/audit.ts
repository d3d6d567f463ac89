import type { DbOrTx } from '@/db/client';
import { auditEvents } from '@/db/schema';

export type AuditEventType =
  | 'auth.registered'
  | 'auth.sign_in'
  | 'auth.sign_in_failed'
  | 'auth.token_refreshed'
  | 'auth.refresh_reuse_detected';

export interface AuditEntry {
  type: AuditEventType;
  userId?: string | null;
  username?: string | null;
  ip?: string | null;
  details?: Record<string, unknown>;
}

/** Records a security event. Callers pass ids and facts, never secrets. */
export async function recordAudit(db: DbOrTx, entry: AuditEntry): Promise<void> {
  await db.insert(auditEvents).values({
    type: entry.type,
    userId: entry.userId ?? null,
    username: entry.username ?? null,
    ip: entry.ip ?? null,
    details: entry.details ?? {},
  });
}
