import { createHash, randomBytes } from 'node:crypto';
import { and, desc, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { invites, users, type InviteRow } from '@/db/schema';
import { AppError } from '@/server/core/errors';
import { recordAudit } from '@/server/services/audit';
import type { InviteState, InviteView, IssuedInvite } from './views';

/**
 * Invitations to register, for CRYPTOBOT_REGISTRATION=invite. An admin creates one (the code is shown
 * once, as a link `/register?invite=<code>`); it works once, until it expires or is revoked. Only the
 * code's sha256 is stored. States:
 *   active   usable
 *   used     consumed by a registration (single use: a conditional update in that registration's
 *            transaction, so of two registrations racing for one code exactly one wins)
 *   expired  past `expiresAt` unused
 *   revoked  revoked by an admin before use
 */
/** 1 hour to 30 days. */
export const MAX_INVITE_HOURS = 30 * 24;

const hashCode = (code: string): string => createHash('sha256').update(code).digest('hex');
const PREFIX_LENGTH = 6;

function stateOf(row: InviteRow, now: Date): InviteState {
  if (row.usedAt) return 'used';
  if (row.revokedAt) return 'revoked';
  if (now >= row.expiresAt) return 'expired';
  return 'active';
}

function toView(row: InviteRow & { creatorName?: string | null; userName?: string | null }, now: Date): InviteView {
  return {
    id: row.id,
    codePrefix: row.codePrefix,
    note: row.note,
    state: stateOf(row, now),
    createdAt: row.createdAt,
    createdBy: row.creatorName ?? null,
    expiresAt: row.expiresAt,
    usedAt: row.usedAt,
    usedBy: row.userName ?? null,
    revokedAt: row.revokedAt,
  };
}

/** Creates an invite valid for `expiresInHours`. Admin-only (the API layer checks the role). */
export async function createInvite(
  db: Db,
  actor: { id: string },
  input: { expiresInHours: number; note?: string },
  meta: { ip?: string | null; now?: () => Date } = {},
): Promise<IssuedInvite> {
  const hours = input.expiresInHours;
  if (!Number.isInteger(hours) || hours < 1 || hours > MAX_INVITE_HOURS)
    throw AppError.validation([{ field: 'expiresInHours', message: `must be a whole number of hours from 1 to ${MAX_INVITE_HOURS}` }]);
  const now = meta.now?.() ?? new Date();
  // 24 random bytes: 192 bits, unguessable; base64url so it travels in a link unescaped.
  const code = randomBytes(24).toString('base64url');
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(invites)
      .values({
        codeHash: hashCode(code),
        codePrefix: code.slice(0, PREFIX_LENGTH),
        note: input.note ?? '',
        createdBy: actor.id,
        createdAt: now,
        expiresAt: new Date(now.getTime() + hours * 3_600_000),
      })
      .returning();
    if (!row) throw new Error('insert returned no row');
    await recordAudit(tx, {
      type: 'invite.created',
      userId: actor.id,
      ip: meta.ip,
      at: now,
      details: { inviteId: row.id, prefix: row.codePrefix, expiresAt: row.expiresAt.toISOString() },
    });
    return { ...toView(row, now), code, path: `/register?invite=${code}` };
  });
}

/** Every invite, newest first (at most 200), with who created and who used it. */
export async function listInvites(db: DbOrTx, meta: { now?: () => Date } = {}): Promise<InviteView[]> {
  const now = meta.now?.() ?? new Date();
  const rows = await db
    .select({
      invite: invites,
      creatorName: sql<string | null>`(select username from ${users} where ${users.id} = ${invites.createdBy})`,
      userName: sql<string | null>`(select username from ${users} where ${users.id} = ${invites.usedBy})`,
    })
    .from(invites)
    .orderBy(desc(invites.createdAt), desc(invites.id))
    .limit(200);
  return rows.map((r) => toView({ ...r.invite, creatorName: r.creatorName, userName: r.userName }, now));
}

/** Revokes an unused invite; revoking a revoked or expired one changes nothing, a used one is a 409. */
export async function revokeInvite(db: Db, actor: { id: string }, id: string, meta: { ip?: string | null; now?: () => Date } = {}): Promise<InviteView> {
  const now = meta.now?.() ?? new Date();
  return db.transaction(async (tx) => {
    const [row] = await tx.select().from(invites).where(eq(invites.id, id)).for('update').limit(1);
    if (!row) throw AppError.notFound('invite');
    if (row.usedAt) throw new AppError('CONFLICT', 'this invite was already used');
    if (row.revokedAt || now >= row.expiresAt) return toView(row, now);
    const [revoked] = await tx.update(invites).set({ revokedAt: now }).where(eq(invites.id, id)).returning();
    await recordAudit(tx, { type: 'invite.revoked', userId: actor.id, ip: meta.ip, at: now, details: { inviteId: row.id, prefix: row.codePrefix } });
    return toView(revoked!, now);
  });
}

const usable = (now: Date) => and(isNull(invites.usedAt), isNull(invites.revokedAt), gt(invites.expiresAt, now));

const INVALID_INVITE = () =>
  AppError.validation([{ field: 'inviteCode', message: 'is not valid: it was already used, revoked or has expired (ask for a new invite)' }]);

/** A cheap check before the expensive part of a registration (hashing the password); not the decision. */
export async function assertInviteUsable(db: DbOrTx, code: string, now: Date): Promise<void> {
  const [row] = await db
    .select({ id: invites.id })
    .from(invites)
    .where(and(eq(invites.codeHash, hashCode(code)), usable(now)))
    .limit(1);
  if (!row) throw INVALID_INVITE();
}

/**
 * Consumes an invite for a new user, inside the registration's transaction. The conditional update is
 * the decision: of concurrent registrations with one code, exactly one updates the row; the others get
 * 422 and their transaction (with their new user row) rolls back.
 */
export async function consumeInvite(tx: DbOrTx, code: string, userId: string, now: Date): Promise<{ inviteId: string; prefix: string }> {
  const [used] = await tx
    .update(invites)
    .set({ usedAt: now, usedBy: userId })
    .where(and(eq(invites.codeHash, hashCode(code)), usable(now)))
    .returning({ id: invites.id, prefix: invites.codePrefix });
  if (!used) throw INVALID_INVITE();
  return { inviteId: used.id, prefix: used.prefix };
}
