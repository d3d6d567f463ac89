import { count, eq, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { users, type UserRole } from '@/db/schema';
import { dummyPasswordHash, hashPassword, verifyPassword } from './password';
import { AppError } from '@/server/core/errors';
import { recordAudit } from '@/server/services/audit';
import { assertInviteUsable, consumeInvite } from './invites';
import { DEFAULT_AUTH_THROTTLE, reserveAttempt, throttleKey, type AuthThrottleConfig } from './throttle';

export interface PublicUser {
  id: string;
  username: string;
  role: UserRole;
}

/** An authenticated principal: the user plus the session version its credential was issued under. */
export interface AuthUser extends PublicUser {
  sessionVersion: number;
}

const toPublic = (row: { id: string; username: string; role: UserRole }): PublicUser => ({ id: row.id, username: row.username, role: row.role });

/**
 * Who may register (CRYPTOBOT_REGISTRATION): `open` anyone, `invite` only with an admin's invite code,
 * `closed` nobody. In every mode the first account on an empty database may register (and becomes the
 * admin), and a code that is presented is always checked and consumed.
 */
export const REGISTRATION_MODES = ['open', 'invite', 'closed'] as const;
export type RegistrationMode = (typeof REGISTRATION_MODES)[number];

export interface RegisterMeta {
  ip?: string | null;
  /** Callers on the operator's side (seed, tests, scripts) omit it: `open`. The API passes the configured mode. */
  mode?: RegistrationMode;
  throttle?: AuthThrottleConfig;
  now?: () => Date;
}

const REGISTRATION_CLOSED = () => new AppError('FORBIDDEN', 'registration is closed on this server: ask its operator for an account');
const INVITE_NEEDED = () =>
  new AppError('FORBIDDEN', 'registration on this server needs an invite: open the invite link an admin gave you', {
    fields: [{ field: 'inviteCode', message: 'is required on this server' }],
  });

/** Throws when the mode refuses a registration without a code; `firstAccount` always may. */
function assertModeAllows(mode: RegistrationMode, firstAccount: boolean, inviteCode: string | undefined): void {
  if (firstAccount || mode === 'open') return;
  if (mode === 'closed') throw REGISTRATION_CLOSED();
  if (!inviteCode) throw INVITE_NEEDED();
}

async function hasUsers(db: DbOrTx): Promise<boolean> {
  const [row] = await db.select({ id: users.id }).from(users).limit(1);
  return !!row;
}

/** Who may register now: the mode, and whether the database is still empty (the first account always may). */
export async function registrationStatus(db: DbOrTx, mode: RegistrationMode): Promise<{ mode: RegistrationMode; firstAccount: boolean }> {
  return { mode, firstAccount: !(await hasUsers(db)) };
}

/**
 * Creates an account. The first account on a database is an admin, later ones are users; an advisory
 * lock makes "first" exact even when two registrations race. Refused by the mode before any work, then
 * one registration per IP is reserved (the throttle) before the 32 MiB password hash: a burst from one
 * IP hashes at most the limit. An invite code is consumed in the same transaction as the new user.
 */
export async function registerUser(db: Db, input: { username: string; password: string; inviteCode?: string }, meta: RegisterMeta = {}): Promise<PublicUser> {
  const mode = meta.mode ?? 'open';
  const inviteCode = input.inviteCode;
  const now = meta.now?.() ?? new Date();
  // A cheap refusal before any work; the decision is taken again under the registration lock below.
  assertModeAllows(mode, mode === 'open' || !(await hasUsers(db)), inviteCode);
  const limits = meta.throttle ?? DEFAULT_AUTH_THROTTLE;
  if (meta.ip) {
    // Kept whatever the outcome: every registration that reaches the hash costs the same.
    await reserveAttempt(
      db,
      [{ key: throttleKey('register', 'ip', meta.ip), limit: limits.registrationsPerIp }],
      { windowMs: limits.registrationWindowMs, now: () => now },
      'too many registrations from this address; try again later',
    );
  }
  if (inviteCode) await assertInviteUsable(db, inviteCode, now);
  const passwordHash = await hashPassword(input.password);
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('cryptobot.users.register'))`);
    const [existing] = await tx.select({ id: users.id }).from(users).where(eq(users.username, input.username)).limit(1);
    if (existing) throw new AppError('CONFLICT', 'username is already taken', { fields: [{ field: 'username', message: 'is already taken' }] });
    const [{ value: userCount } = { value: 0 }] = await tx.select({ value: count() }).from(users);
    // The decision, under the lock: a racing first registration may have made this one a later one.
    assertModeAllows(mode, userCount === 0, inviteCode);
    const role: UserRole = userCount === 0 ? 'admin' : 'user';
    const [row] = await tx.insert(users).values({ username: input.username, passwordHash, role }).returning();
    if (!row) throw new Error('insert returned no row');
    const invite = inviteCode ? await consumeInvite(tx, inviteCode, row.id, now) : null;
    await recordAudit(tx, {
      type: 'auth.registered',
      userId: row.id,
      username: row.username,
      ip: meta.ip,
      details: { role, ...(invite ? { inviteId: invite.inviteId } : {}) },
    });
    if (invite)
      await recordAudit(tx, {
        type: 'invite.used',
        userId: row.id,
        username: row.username,
        ip: meta.ip,
        at: now,
        details: { inviteId: invite.inviteId, prefix: invite.prefix },
      });
    return toPublic(row);
  });
}

export async function findUserById(db: DbOrTx, id: string): Promise<AuthUser | null> {
  const [row] = await db.select().from(users).where(eq(users.id, id)).limit(1);
  return row ? { ...toPublic(row), sessionVersion: row.sessionVersion } : null;
}

/**
 * Checks a username and password. Unknown user and wrong password give the same error after the same
 * amount of work. Each attempt first reserves a failure per username and per IP (server/services/auth/
 * throttle.ts): over the limit it is refused with 429 before any password is hashed; a wrong password
 * keeps its reservation (and is audited), the right one gives it back.
 */
export async function verifyCredentials(
  db: Db,
  input: { username: string; password: string },
  meta: { ip?: string | null; throttle?: AuthThrottleConfig; now?: () => Date } = {},
): Promise<AuthUser> {
  const limits = meta.throttle ?? DEFAULT_AUTH_THROTTLE;
  const rules = [{ key: throttleKey('sign_in', 'user', input.username.toLowerCase()), limit: limits.signInPerUsername }];
  if (meta.ip) rules.push({ key: throttleKey('sign_in', 'ip', meta.ip), limit: limits.signInPerIp });
  const reservation = await reserveAttempt(db, rules, { windowMs: limits.windowMs, now: meta.now }, 'too many failed sign-ins; try again later');
  const [row] = await db.select().from(users).where(eq(users.username, input.username)).limit(1);
  const ok = await verifyPassword(input.password, row?.passwordHash ?? (await dummyPasswordHash()));
  if (!row || !ok) {
    await recordAudit(db, { type: 'auth.sign_in_failed', userId: row?.id ?? null, username: input.username.slice(0, 64), ip: meta.ip });
    throw new AppError('UNAUTHORIZED', 'invalid username or password');
  }
  await reservation.giveBack();
  await recordAudit(db, { type: 'auth.sign_in', userId: row.id, username: row.username, ip: meta.ip });
  return { ...toPublic(row), sessionVersion: row.sessionVersion };
}
