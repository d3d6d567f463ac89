import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, gt, isNull, lte, or, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Db, DbOrTx } from '@/db/client';
import { apiKeys, users, type ApiKeyRow, type ApiKeyScope, type UserRole } from '@/db/schema';
import { AppError } from '@/server/core/errors';
import { recordAudit } from '@/server/services/audit';
import { revokeSessions } from '@/server/services/auth/account';
import { countAttempt, DEFAULT_AUTH_THROTTLE, reserveAttempt, throttleKey, type AuthThrottleConfig, type Reservation } from '@/server/services/auth/throttle';
import type { AuthUser } from '@/server/services/auth/users';
import { DAY_MS, DEFAULT_KEY_LIFETIME_DAYS, MAX_KEY_LIFETIME_DAYS, type KeysConfig } from './config';
import { assembleKey, displayPrefix, generateKeyParts, parseKey, secretMatches } from './format';
import { expandScopes } from './scopes';
import { open, seal } from './secret-box';
import type { IssuedKey, KeyState, KeyView } from './views';

/** Services take a clock so the lifecycle (expiry, grace, auto-rotation) can be tested. */
export interface Clock {
  now?: () => Date;
}
const nowOf = (clock: Clock | undefined): Date => clock?.now?.() ?? new Date();

const stopsAt = (row: Pick<ApiKeyRow, 'expiresAt' | 'graceEndsAt'>): Date =>
  row.graceEndsAt && row.graceEndsAt < row.expiresAt ? row.graceEndsAt : row.expiresAt;

function stateOf(row: ApiKeyRow, successorPending: boolean, now: Date): KeyState {
  if (row.revokedAt) return 'revoked';
  if (row.graceEndsAt && now >= row.graceEndsAt) return 'retired';
  if (now >= row.expiresAt) return 'expired';
  if (row.graceEndsAt) return 'grace';
  if (row.pendingSecret) return 'pending';
  if (successorPending) return 'rotating';
  return 'active';
}

function toView(row: ApiKeyRow, successorPending: boolean, now: Date): KeyView {
  return {
    id: row.id,
    prefix: displayPrefix(row.keyId),
    name: row.name,
    scopes: row.scopes,
    origin: row.origin,
    state: stateOf(row, successorPending, now),
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    stopsAt: stopsAt(row),
    lastUsedAt: row.lastUsedAt,
    rotatedAt: row.rotatedAt,
    graceEndsAt: row.graceEndsAt,
    revokedAt: row.revokedAt,
    revokedReason: row.revokedReason,
    predecessorId: row.predecessorId,
    successorId: row.successorId,
  };
}

const successor = alias(apiKeys, 'successor');

async function loadView(db: DbOrTx, userId: string, id: string, now: Date): Promise<KeyView> {
  const [found] = await db
    .select({ key: apiKeys, successorPending: sql<boolean>`${successor.pendingSecret} is not null` })
    .from(apiKeys)
    .leftJoin(successor, eq(successor.id, apiKeys.successorId))
    .where(and(eq(apiKeys.id, id), eq(apiKeys.userId, userId)))
    .limit(1);
  if (!found) throw AppError.notFound('API key');
  return toView(found.key, found.successorPending === true, now);
}

// Reading ---------------------------------------------------------------------------------------------

/** The user's keys, newest first, every state included (revoked and expired ones are history). */
export async function listKeys(db: DbOrTx, userId: string, clock?: Clock): Promise<KeyView[]> {
  const now = nowOf(clock);
  const rows = await db
    .select({ key: apiKeys, successorPending: sql<boolean>`${successor.pendingSecret} is not null` })
    .from(apiKeys)
    .leftJoin(successor, eq(successor.id, apiKeys.successorId))
    .where(eq(apiKeys.userId, userId))
    .orderBy(desc(apiKeys.createdAt), asc(apiKeys.id))
    .limit(500);
  return rows.map((r) => toView(r.key, r.successorPending === true, now));
}

export function getKey(db: DbOrTx, userId: string, id: string, clock?: Clock): Promise<KeyView> {
  return loadView(db, userId, id, nowOf(clock));
}

// Creating --------------------------------------------------------------------------------------------

export interface CreateKeyInput {
  name: string;
  scopes: ApiKeyScope[];
  /** 1..90, default 90. */
  expiresInDays?: number;
}

/**
 * Who manages keys, and with which credential. Sessions and access tokens carry every scope of the
 * user's role; an API key carries its own scopes and its row id.
 */
export interface Actor {
  id: string;
  role: UserRole;
  /** The scopes of the credential making the call; a key never mints a key more powerful than itself. */
  scopes: readonly ApiKeyScope[];
  /** The calling API key's row id; null for a browser session or an access token. */
  apiKeyId: string | null;
}

/** The actor of a request, from what REST's `withUser` and the tRPC context both carry. */
export function keyActor(caller: { user: { id: string; role: UserRole }; scopes: readonly ApiKeyScope[]; apiKey: { id: string } | null }): Actor {
  return { id: caller.user.id, role: caller.user.role, scopes: caller.scopes, apiKeyId: caller.apiKey?.id ?? null };
}

/**
 * The one rule for managing keys; every management function calls it before it changes anything.
 *   - Listing and reading keys (no secrets) is open to any credential of the user (`read`).
 *   - Creating, rotating, revoking and revoke-all need a browser session, an access token, or an API
 *     key with the `admin` scope. The one exception: any key may rotate itself (its successor has
 *     exactly its own scopes), which is how a client fetches the successor the worker issued.
 *   - Nobody creates, rotates into or receives a key with a scope the calling credential lacks
 *     (`receives`: the scopes of a key whose whole value the call would return).
 * A key that may not do a thing gets 403 naming the scope it lacks; the route's own scope check
 * (reads `read`, writes `trade`) runs before this one.
 */
export function authorizeKeyManagement(
  actor: Actor,
  action: 'create' | 'rotate' | 'revoke' | 'revoke_all',
  target: { keyId?: string; receives?: readonly ApiKeyScope[] } = {},
): void {
  const rotatesItself = action === 'rotate' && actor.apiKeyId !== null && target.keyId === actor.apiKeyId;
  if (actor.apiKeyId !== null && !actor.scopes.includes('admin') && !rotatesItself) {
    throw new AppError(
      'FORBIDDEN',
      `managing keys with an API key needs the "admin" scope (this key has: ${actor.scopes.join(', ')}); a key may only rotate itself (POST /api/v1/keys/current/rotate)`,
      {
        requiredScope: 'admin',
      },
    );
  }
  const beyond = (target.receives ?? []).filter((s) => !actor.scopes.includes(s));
  if (beyond.length) {
    const what = action === 'create' ? 'grant' : 'hand out a key with';
    throw new AppError('FORBIDDEN', `this credential cannot ${what} ${beyond.join(', ')} (it has: ${actor.scopes.join(', ')})`, {
      requiredScope: beyond[beyond.length - 1],
      ...(action === 'create' ? { fields: [{ field: 'scopes', message: `cannot exceed the calling credential's scopes (${actor.scopes.join(', ')})` }] } : {}),
    });
  }
}

/** Creates a key for the actor. Its whole value is in the result and nowhere else, ever. */
export async function createKey(db: Db, actor: Actor, input: CreateKeyInput, meta: Clock & { ip?: string | null } = {}): Promise<IssuedKey> {
  const now = nowOf(meta);
  const scopes = expandScopes(input.scopes);
  if (scopes.includes('admin') && actor.role !== 'admin') {
    throw new AppError('FORBIDDEN', 'the admin scope is only for admin accounts', {
      fields: [{ field: 'scopes', message: 'admin is only for admin accounts' }],
    });
  }
  authorizeKeyManagement(actor, 'create', { receives: scopes });
  const days = input.expiresInDays ?? DEFAULT_KEY_LIFETIME_DAYS;
  if (!Number.isInteger(days) || days < 1 || days > MAX_KEY_LIFETIME_DAYS)
    throw AppError.validation([{ field: 'expiresInDays', message: `must be a whole number of days from 1 to ${MAX_KEY_LIFETIME_DAYS}` }]);
  const parts = generateKeyParts();
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(apiKeys)
      .values({
        userId: actor.id,
        keyId: parts.keyId,
        name: input.name,
        scopes,
        secretHash: parts.secretHash,
        origin: 'created',
        createdAt: now,
        expiresAt: new Date(now.getTime() + days * DAY_MS),
      })
      .returning();
    if (!row) throw new Error('insert returned no row');
    await recordAudit(tx, {
      type: 'key.created',
      userId: actor.id,
      ip: meta.ip,
      at: now,
      details: { keyId: row.id, prefix: displayPrefix(row.keyId), name: row.name, scopes, expiresAt: row.expiresAt.toISOString() },
    });
    return { ...toView(row, false, now), key: assembleKey(parts.keyId, parts.secret) };
  });
}

// Rotating --------------------------------------------------------------------------------------------

function assertUsable(row: ApiKeyRow, now: Date): void {
  if (row.revokedAt) throw new AppError('CONFLICT', 'this key is revoked');
  if (row.graceEndsAt && now >= row.graceEndsAt) throw new AppError('CONFLICT', 'this key was rotated and its grace period is over');
  if (now >= row.expiresAt) throw new AppError('CONFLICT', 'this key has expired');
}

/** The successor lives as long as its predecessor was issued for (at most 90 days), from now. */
function successorLifetimeMs(row: ApiKeyRow): number {
  return Math.min(Math.max(row.expiresAt.getTime() - row.createdAt.getTime(), DAY_MS), MAX_KEY_LIFETIME_DAYS * DAY_MS);
}

/**
 * Rotates a key of the actor: the successor is returned with its whole value, once, and the old key keeps
 * working for the grace period (never past its own expiry). When the worker already issued a successor,
 * that one is handed out (its stored ciphertext erased) instead of a new one. A key whose successor was
 * already handed out cannot be rotated again (409): rotate the successor. Who may: authorizeKeyManagement.
 */
export async function rotateKey(
  db: Db,
  actor: Actor,
  id: string,
  config: Pick<KeysConfig, 'graceMs' | 'masterKey'>,
  meta: Clock & { ip?: string | null } = {},
): Promise<IssuedKey> {
  const now = nowOf(meta);
  const userId = actor.id;
  const via = actor.apiKeyId === id ? 'key' : 'owner';
  const graceEndsAt = (row: ApiKeyRow) => new Date(Math.min(now.getTime() + config.graceMs, row.expiresAt.getTime()));
  return db.transaction(async (tx) => {
    const [row] = await tx
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.id, id), eq(apiKeys.userId, userId)))
      .for('update')
      .limit(1);
    // Another user's key is a 404 like any other resource of theirs; the rule applies to the caller's own keys.
    if (!row) throw AppError.notFound('API key');
    // The successor (new or waiting) carries exactly the row's scopes.
    authorizeKeyManagement(actor, 'rotate', { keyId: id, receives: row.scopes });
    assertUsable(row, now);
    if (row.pendingSecret) throw new AppError('CONFLICT', 'this key has not been fetched yet: rotate its predecessor to fetch it');

    if (row.successorId) {
      const [next] = await tx.select().from(apiKeys).where(eq(apiKeys.id, row.successorId)).for('update').limit(1);
      if (!next || !next.pendingSecret)
        throw new AppError('CONFLICT', `this key was already rotated; its successor is ${next ? displayPrefix(next.keyId) : 'gone'}`);
      authorizeKeyManagement(actor, 'rotate', { keyId: id, receives: next.scopes });
      const secret = open(next.pendingSecret, config.masterKey, next.id);
      const [fetched] = await tx.update(apiKeys).set({ pendingSecret: null, pendingSecretFetchedAt: now }).where(eq(apiKeys.id, next.id)).returning();
      const [old] = await tx
        .update(apiKeys)
        .set({ rotatedAt: now, graceEndsAt: graceEndsAt(row) })
        .where(eq(apiKeys.id, row.id))
        .returning();
      await recordAudit(tx, {
        type: 'key.successor_fetched',
        userId,
        ip: meta.ip,
        at: now,
        details: {
          keyId: row.id,
          prefix: displayPrefix(row.keyId),
          successorId: next.id,
          successorPrefix: displayPrefix(next.keyId),
          via,
          graceEndsAt: old!.graceEndsAt!.toISOString(),
        },
      });
      return { ...toView(fetched!, false, now), key: assembleKey(next.keyId, secret) };
    }

    const parts = generateKeyParts();
    const [created] = await tx
      .insert(apiKeys)
      .values({
        userId,
        keyId: parts.keyId,
        name: row.name,
        scopes: row.scopes,
        secretHash: parts.secretHash,
        origin: 'rotated',
        createdAt: now,
        expiresAt: new Date(now.getTime() + successorLifetimeMs(row)),
        predecessorId: row.id,
      })
      .returning();
    const [old] = await tx
      .update(apiKeys)
      .set({ successorId: created!.id, rotatedAt: now, graceEndsAt: graceEndsAt(row) })
      .where(eq(apiKeys.id, row.id))
      .returning();
    await recordAudit(tx, {
      type: 'key.rotated',
      userId,
      ip: meta.ip,
      at: now,
      details: {
        keyId: row.id,
        prefix: displayPrefix(row.keyId),
        successorId: created!.id,
        successorPrefix: displayPrefix(parts.keyId),
        via,
        graceEndsAt: old!.graceEndsAt!.toISOString(),
      },
    });
    return { ...toView(created!, false, now), key: assembleKey(parts.keyId, parts.secret) };
  });
}

/**
 * POST /api/v1/keys/current/rotate: the calling key rotates itself (any key may; see
 * authorizeKeyManagement), which also fetches the successor the worker issued for it.
 */
export async function rotateCurrentKey(
  db: Db,
  actor: Actor,
  config: Pick<KeysConfig, 'graceMs' | 'masterKey'>,
  meta: Clock & { ip?: string | null } = {},
): Promise<IssuedKey> {
  if (!actor.apiKeyId) throw new AppError('BAD_REQUEST', 'call this with the API key to rotate (Authorization: Bearer cb_…)');
  return rotateKey(db, actor, actor.apiKeyId, config, meta);
}

/**
 * The worker's part of rotation: for every usable key within the lead time of its expiry (14 days, or half
 * its lifetime for short-lived keys) and without a successor, issue one whose secret is stored sealed
 * until fetched. Safe to run from several workers at once (rows are claimed with SKIP LOCKED).
 */
export async function autoRotateDueKeys(
  db: Db,
  config: Pick<KeysConfig, 'autoRotateLeadMs' | 'masterKey'>,
  clock?: Clock & { batchSize?: number },
): Promise<number> {
  const now = nowOf(clock);
  const leadSeconds = Math.floor(config.autoRotateLeadMs / 1000);
  return db.transaction(async (tx) => {
    const due = await tx
      .select()
      .from(apiKeys)
      .where(
        and(
          isNull(apiKeys.revokedAt),
          isNull(apiKeys.successorId),
          isNull(apiKeys.graceEndsAt),
          isNull(apiKeys.pendingSecret),
          gt(apiKeys.expiresAt, now),
          lte(
            sql`${apiKeys.expiresAt} - least(make_interval(secs => ${leadSeconds}), (${apiKeys.expiresAt} - ${apiKeys.createdAt}) / 2)`,
            sql`${now.toISOString()}::timestamptz`,
          ),
        ),
      )
      .orderBy(asc(apiKeys.expiresAt))
      .limit(clock?.batchSize ?? 100)
      .for('update', { skipLocked: true });
    for (const row of due) {
      const parts = generateKeyParts();
      const successorId = randomUUID();
      const [created] = await tx
        .insert(apiKeys)
        .values({
          id: successorId,
          userId: row.userId,
          keyId: parts.keyId,
          name: row.name,
          scopes: row.scopes,
          secretHash: parts.secretHash,
          origin: 'auto_rotated',
          createdAt: now,
          expiresAt: new Date(now.getTime() + successorLifetimeMs(row)),
          predecessorId: row.id,
          // The associated data is the successor's row id, so the ciphertext only opens for that row.
          pendingSecret: seal(parts.secret, config.masterKey, successorId),
        })
        .returning();
      await tx.update(apiKeys).set({ successorId: created!.id }).where(eq(apiKeys.id, row.id));
      await recordAudit(tx, {
        type: 'key.auto_rotated',
        userId: row.userId,
        at: now,
        details: {
          keyId: row.id,
          prefix: displayPrefix(row.keyId),
          successorId: created!.id,
          successorPrefix: displayPrefix(parts.keyId),
          expiresAt: row.expiresAt.toISOString(),
        },
      });
    }
    return due.length;
  });
}

// Revoking --------------------------------------------------------------------------------------------

/**
 * Revokes one key at once. A successor the worker issued but nobody fetched goes with it (nobody holds
 * it); a successor already handed out stays valid. Revoking a revoked key changes nothing.
 */
export async function revokeKey(db: Db, actor: Actor, id: string, meta: Clock & { ip?: string | null; reason?: string } = {}): Promise<KeyView> {
  const now = nowOf(meta);
  const userId = actor.id;
  return db.transaction(async (tx) => {
    const [row] = await tx
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.id, id), eq(apiKeys.userId, userId)))
      .for('update')
      .limit(1);
    if (!row) throw AppError.notFound('API key');
    // Revoking hands nothing out, so it may stop a key of any scope (e.g. a demoted admin's admin key).
    authorizeKeyManagement(actor, 'revoke', { keyId: id });
    if (row.revokedAt) return toView(row, false, now);
    const reason = meta.reason ?? 'revoked by its owner';
    await tx.update(apiKeys).set({ revokedAt: now, revokedReason: reason, pendingSecret: null }).where(eq(apiKeys.id, row.id));
    if (row.successorId) {
      await tx
        .update(apiKeys)
        .set({ revokedAt: now, revokedReason: 'its predecessor was revoked before it was fetched', pendingSecret: null })
        .where(and(eq(apiKeys.id, row.successorId), sql`${apiKeys.pendingSecret} is not null`));
    }
    await recordAudit(tx, {
      type: 'key.revoked',
      userId,
      ip: meta.ip,
      at: now,
      details: { keyId: row.id, prefix: displayPrefix(row.keyId), name: row.name, reason },
    });
    return loadView(tx, userId, id, now);
  });
}

/**
 * Emergency revocation: every key and every session (browser sessions, access and refresh tokens) of the
 * actor, or with `allUsers` (admins only) of every account, stop at once. Recorded with its reason.
 */
export async function revokeEverything(
  db: Db,
  actor: Actor,
  input: { reason: string; allUsers?: boolean },
  meta: Clock & { ip?: string | null } = {},
): Promise<{ revokedKeys: number; signedOutUsers: number }> {
  const now = nowOf(meta);
  authorizeKeyManagement(actor, 'revoke_all');
  if (input.allUsers && !actor.scopes.includes('admin'))
    throw new AppError('FORBIDDEN', "revoking every user's keys needs the admin scope", { requiredScope: 'admin' });
  if (input.allUsers && actor.role !== 'admin')
    throw new AppError('FORBIDDEN', "only an admin can revoke every user's keys and sessions", {
      fields: [{ field: 'allUsers', message: 'needs an admin account' }],
    });
  return db.transaction(async (tx) => {
    const revoked = await tx
      .update(apiKeys)
      .set({ revokedAt: now, revokedReason: `emergency revocation: ${input.reason}`, pendingSecret: null })
      .where(input.allUsers ? isNull(apiKeys.revokedAt) : and(isNull(apiKeys.revokedAt), eq(apiKeys.userId, actor.id)))
      .returning({ id: apiKeys.id });
    const signedOutUsers = await revokeSessions(tx, input.allUsers ? 'all' : [actor.id], now);
    const result = { revokedKeys: revoked.length, signedOutUsers };
    await recordAudit(tx, {
      type: 'key.emergency_revocation',
      userId: actor.id,
      ip: meta.ip,
      at: now,
      details: { reason: input.reason, allUsers: input.allUsers === true, ...result },
    });
    return result;
  });
}

// Authenticating ------------------------------------------------------------------------------------

export interface ApiKeyPrincipal {
  user: AuthUser;
  key: {
    id: string;
    prefix: string;
    scopes: ApiKeyScope[];
    /** When this key stops working. */
    stopsAt: Date;
    /** A successor issued by the worker waits: fetch it with POST /api/v1/keys/current/rotate. */
    successorPending: boolean;
    /** The key was rotated and works only until `stopsAt`. */
    inGrace: boolean;
  };
}

/** A refusal with `retryAfterSeconds` is a throttle (429), any other an invalid credential (401). */
export type ApiKeyCheck = { ok: true; principal: ApiKeyPrincipal } | { ok: false; message: string; retryAfterSeconds?: number };

const LAST_USED_RESOLUTION_MS = 60_000;
const GRACE_AUDIT_INTERVAL_MS = 3_600_000;

/**
 * Checks a presented API key: format and checksum first (no database work for a malformed key), then the
 * row by key id and a constant-time comparison of the secret's hash, then its state. Records when it was
 * last used (to the minute) and, hourly, a use during the grace period.
 *
 * Throttled (server/services/auth/throttle.ts) against guessing, two ways:
 *   per IP      strict: a failure is reserved before the lookup, so a burst from one address evaluates at
 *               most the limit and the rest are refused (429) unevaluated; the right secret gives it back.
 *   per key id  failures only: a wrong secret for a key id is counted, and past the limit further wrong
 *               secrets answer 429. The right secret always works, because the key id is public (it is
 *               the displayed prefix): whoever knows it must not be able to lock its holder out.
 * A well-formed key with the right secret that is revoked, expired or retired is not a guess and counts
 * nowhere (a bot polling with an expired key does not lock its address out).
 */
export async function authenticateApiKey(
  db: Db,
  presented: string,
  meta: Clock & { ip?: string | null; throttle?: AuthThrottleConfig } = {},
): Promise<ApiKeyCheck> {
  const parsed = parseKey(presented);
  if (!parsed) return { ok: false, message: 'malformed API key (check that it was copied whole)' };
  const now = nowOf(meta);
  const limits = meta.throttle ?? DEFAULT_AUTH_THROTTLE;
  const window = { windowMs: limits.windowMs, now: () => now };
  let reservation: Reservation | null = null;
  if (meta.ip) {
    try {
      reservation = await reserveAttempt(
        db,
        [{ key: throttleKey('api_key', 'ip', meta.ip), limit: limits.apiKeyPerIp }],
        window,
        'too many failed API-key authentications from this address; try again later',
      );
    } catch (error) {
      if (error instanceof AppError && error.code === 'TOO_MANY_REQUESTS')
        return { ok: false, message: error.message, retryAfterSeconds: error.details?.retryAfterSeconds ?? 1 };
      throw error;
    }
  }
  const [found] = await db
    .select({ key: apiKeys, user: users, successorPending: sql<boolean>`${successor.pendingSecret} is not null` })
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.userId))
    .leftJoin(successor, eq(successor.id, apiKeys.successorId))
    .where(eq(apiKeys.keyId, parsed.keyId))
    .limit(1);
  if (!found || !secretMatches(parsed.secret, found.key.secretHash)) {
    const perKey = await countAttempt(db, { key: throttleKey('api_key', 'key', parsed.keyId), limit: limits.apiKeyPerKey }, window);
    if (perKey.over)
      return { ok: false, message: 'too many failed authentications with this API key id; try again later', retryAfterSeconds: perKey.retryAfterSeconds };
    return { ok: false, message: 'invalid API key' };
  }
  await reservation?.giveBack();
  const row = found.key;
  if (row.pendingSecret) return { ok: false, message: 'invalid API key' };
  if (row.revokedAt) return { ok: false, message: 'this API key was revoked' };
  if (row.graceEndsAt && now >= row.graceEndsAt) return { ok: false, message: 'this API key was rotated and its grace period is over: use its successor' };
  if (now >= row.expiresAt) return { ok: false, message: 'this API key has expired' };

  await db
    .update(apiKeys)
    .set({ lastUsedAt: now })
    .where(and(eq(apiKeys.id, row.id), or(isNull(apiKeys.lastUsedAt), lte(apiKeys.lastUsedAt, new Date(now.getTime() - LAST_USED_RESOLUTION_MS)))));
  if (row.graceEndsAt) {
    const [claimed] = await db
      .update(apiKeys)
      .set({ graceUseAuditedAt: now })
      .where(
        and(eq(apiKeys.id, row.id), or(isNull(apiKeys.graceUseAuditedAt), lte(apiKeys.graceUseAuditedAt, new Date(now.getTime() - GRACE_AUDIT_INTERVAL_MS)))),
      )
      .returning({ id: apiKeys.id });
    if (claimed)
      await recordAudit(db, {
        type: 'key.used_during_grace',
        userId: row.userId,
        ip: meta.ip,
        at: now,
        details: { keyId: row.id, prefix: displayPrefix(row.keyId), graceEndsAt: row.graceEndsAt.toISOString() },
      });
  }
  const user = found.user;
  return {
    ok: true,
    principal: {
      user: { id: user.id, username: user.username, role: user.role, sessionVersion: user.sessionVersion },
      key: {
        id: row.id,
        prefix: displayPrefix(row.keyId),
        scopes: row.scopes,
        stopsAt: stopsAt(row),
        successorPending: found.successorPending === true,
        inGrace: row.graceEndsAt !== null,
      },
    },
  };
}

/** Response headers for a request made with an API key: when it stops, and whether a successor waits. */
export function rotationHeaders(key: ApiKeyPrincipal['key']): Record<string, string> {
  const headers: Record<string, string> = { 'Cryptobot-Key-Expires': key.stopsAt.toISOString() };
  if (key.successorPending) headers['Cryptobot-Key-Rotation'] = 'successor-pending; fetch=/api/v1/keys/current/rotate';
  else if (key.inGrace) headers['Cryptobot-Key-Rotation'] = 'rotated';
  return headers;
}
