import { and, count, eq, gt, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { auditEvents, users, type UserRole } from '@/db/schema';
import { dummyPasswordHash, hashPassword, verifyPassword } from '@/server/auth/password';
import { AppError } from '@/server/core/errors';
import { recordAudit } from '@/server/services/audit';

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
 * Creates an account. The first account on a database is an admin, later ones are users; an advisory
 * lock makes "first" exact even when two registrations race.
 */
export async function registerUser(db: Db, input: { username: string; password: string }, meta: { ip?: string | null } = {}): Promise<PublicUser> {
  const passwordHash = await hashPassword(input.password);
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('cryptobot.users.register'))`);
    const [existing] = await tx.select({ id: users.id }).from(users).where(eq(users.username, input.username)).limit(1);
    if (existing) throw new AppError('CONFLICT', 'username is already taken', { fields: [{ field: 'username', message: 'is already taken' }] });
    const [{ value: userCount } = { value: 0 }] = await tx.select({ value: count() }).from(users);
    const role: UserRole = userCount === 0 ? 'admin' : 'user';
    const [row] = await tx.insert(users).values({ username: input.username, passwordHash, role }).returning();
    if (!row) throw new Error('insert returned no row');
    await recordAudit(tx, { type: 'auth.registered', userId: row.id, username: row.username, ip: meta.ip, details: { role } });
    return toPublic(row);
  });
}

export async function findUserById(db: DbOrTx, id: string): Promise<AuthUser | null> {
  const [row] = await db.select().from(users).where(eq(users.id, id)).limit(1);
  return row ? { ...toPublic(row), sessionVersion: row.sessionVersion } : null;
}

/** Failed sign-ins allowed in the window before further attempts get 429. */
export const SIGN_IN_THROTTLE = { windowMs: 15 * 60_000, maxPerUsername: 10, maxPerIp: 50 } as const;

async function assertNotThrottled(db: DbOrTx, username: string, ip: string | null | undefined): Promise<void> {
  const since = new Date(Date.now() - SIGN_IN_THROTTLE.windowMs);
  const failed = (where: ReturnType<typeof and>) =>
    db.select({ value: count() }).from(auditEvents).where(and(eq(auditEvents.type, 'auth.sign_in_failed'), gt(auditEvents.createdAt, since), where));
  const [[byName], [byIp]] = await Promise.all([
    failed(eq(auditEvents.username, username)),
    ip ? failed(eq(auditEvents.ip, ip)) : Promise.resolve([{ value: 0 }]),
  ]);
  if ((byName?.value ?? 0) >= SIGN_IN_THROTTLE.maxPerUsername || (byIp?.value ?? 0) >= SIGN_IN_THROTTLE.maxPerIp) {
    const retryAfterSeconds = Math.ceil(SIGN_IN_THROTTLE.windowMs / 1000);
    throw new AppError('TOO_MANY_REQUESTS', 'too many failed sign-ins; try again later', { retryAfterSeconds });
  }
}

/**
 * Checks a username and password. Unknown user and wrong password give the same error after the same
 * amount of work; failures are recorded and throttled per username and per IP.
 */
export async function verifyCredentials(db: Db, input: { username: string; password: string }, meta: { ip?: string | null } = {}): Promise<AuthUser> {
  await assertNotThrottled(db, input.username, meta.ip);
  const [row] = await db.select().from(users).where(eq(users.username, input.username)).limit(1);
  const ok = await verifyPassword(input.password, row?.passwordHash ?? (await dummyPasswordHash()));
  if (!row || !ok) {
    await recordAudit(db, { type: 'auth.sign_in_failed', userId: row?.id ?? null, username: input.username.slice(0, 64), ip: meta.ip });
    throw new AppError('UNAUTHORIZED', 'invalid username or password');
  }
  await recordAudit(db, { type: 'auth.sign_in', userId: row.id, username: row.username, ip: meta.ip });
  return { ...toPublic(row), sessionVersion: row.sessionVersion };
}
