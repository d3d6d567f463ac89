import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { refreshTokens, users } from '@/db/schema';
import { hashPassword, verifyPassword } from './password';
import { AppError } from '@/server/core/errors';
import { recordAudit } from '@/server/services/audit';

/**
 * Ends every browser session and access token of the given users (their session version moves on, and
 * every check compares it) and revokes their refresh tokens, so nothing issued before now still works.
 * `'all'` does it for every account. Returns how many accounts were signed out.
 */
export async function revokeSessions(db: DbOrTx, who: string[] | 'all', now: Date = new Date()): Promise<number> {
  if (who !== 'all' && who.length === 0) return 0;
  const bumped = await db
    .update(users)
    .set({ sessionVersion: sql`${users.sessionVersion} + 1`, updatedAt: now })
    .where(who === 'all' ? undefined : inArray(users.id, who))
    .returning({ id: users.id });
  await db
    .update(refreshTokens)
    .set({ revokedAt: now })
    .where(who === 'all' ? isNull(refreshTokens.revokedAt) : and(isNull(refreshTokens.revokedAt), inArray(refreshTokens.userId, who)));
  return bumped.length;
}

/** Sign out everywhere: every session, access token and refresh token of the user stops working. */
export async function signOutEverywhere(db: Db, userId: string, meta: { ip?: string | null } = {}): Promise<void> {
  await db.transaction(async (tx) => {
    await revokeSessions(tx, [userId]);
    await recordAudit(tx, { type: 'account.signed_out_everywhere', userId, ip: meta.ip });
  });
}

/**
 * Changes the password after checking the current one, and signs the user out everywhere (sessions,
 * access and refresh tokens). API keys are not touched: revoke them separately if they may have leaked.
 */
export async function changePassword(
  db: Db,
  userId: string,
  input: { currentPassword: string; newPassword: string },
  meta: { ip?: string | null } = {},
): Promise<void> {
  const [row] = await db.select().from(users).where(eq(users.id, userId)).limit(1);
  if (!row) throw new AppError('UNAUTHORIZED', 'sign in again');
  if (!(await verifyPassword(input.currentPassword, row.passwordHash))) {
    await recordAudit(db, { type: 'auth.sign_in_failed', userId, username: row.username, ip: meta.ip, details: { during: 'password_change' } });
    throw AppError.validation([{ field: 'currentPassword', message: 'is not your current password' }]);
  }
  if (input.currentPassword === input.newPassword) throw AppError.validation([{ field: 'newPassword', message: 'must differ from the current password' }]);
  const passwordHash = await hashPassword(input.newPassword);
  await db.transaction(async (tx) => {
    await tx.update(users).set({ passwordHash }).where(eq(users.id, userId));
    await revokeSessions(tx, [userId]);
    await recordAudit(tx, { type: 'account.password_changed', userId, username: row.username, ip: meta.ip });
  });
}

/** The zone the user reads times in: 'UTC' or an IANA zone (users.time_zone). */
export async function getTimeZone(db: DbOrTx, userId: string): Promise<string> {
  const [row] = await db.select({ timeZone: users.timeZone }).from(users).where(eq(users.id, userId)).limit(1);
  return row?.timeZone ?? 'UTC';
}

/** Sets the zone times are shown in for the user (validated by the request schema: 'UTC' or an IANA zone). */
export async function setTimeZone(db: DbOrTx, userId: string, timeZone: string): Promise<string> {
  const [row] = await db.update(users).set({ timeZone, updatedAt: new Date() }).where(eq(users.id, userId)).returning({ timeZone: users.timeZone });
  if (!row) throw new AppError('UNAUTHORIZED', 'sign in again');
  return row.timeZone;
}
