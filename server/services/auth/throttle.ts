import { createHash } from 'node:crypto';
import { and, eq, or, sql } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { authThrottles } from '@/db/schema';
import { AppError } from '@/server/core/errors';

/**
 * The one throttle of authentication: sign-in failures (per username and per IP), API-key failures (per
 * IP and per key id) and registrations (per IP) all count here, in `auth_throttles`.
 *
 * Reserve first, then work. An attempt reserves one unit under each of its keys BEFORE the expensive
 * check (scrypt, the key lookup), in one `INSERT … ON CONFLICT DO UPDATE SET count = count + 1 RETURNING`:
 * PostgreSQL serialises the increments on the row, so of a burst of N concurrent attempts exactly
 * `limit` see a count within the limit and the rest are refused (429 with the window's real remaining
 * time in Retry-After) without being evaluated. The outcome then decides the unit: a failure keeps it,
 * a success (the right password, a valid key) gives it back. So successes never count as failures, and
 * at no moment are more than `limit` attempts of one key being evaluated, counted or in flight.
 *
 * Windows are fixed, not sliding: one row per key holds the window's start and its count, and the first
 * attempt after the window restarts it in place (no row per attempt, no scan). The price: across a
 * window boundary up to twice the limit may be evaluated within a short time (the end of one window and
 * the start of the next), never more. Refused attempts give their units back, so hammering a locked
 * key neither extends its lockout nor burns the budget of the other keys it was presented with.
 *
 * Lock order: an attempt's keys are upserted in sorted order in one statement, so two attempts with
 * overlapping keys (a username and an IP) never wait on each other in a cycle. Nothing else is held.
 */

/** The limits of every authentication throttle (env: server/env.ts, read by server/auth/limits.ts). */
export interface AuthThrottleConfig {
  /** The window of sign-in and API-key failures (ms). */
  windowMs: number;
  /** Failed sign-ins per username, and per IP, per window. */
  signInPerUsername: number;
  signInPerIp: number;
  /** Failed API-key authentications per IP (strict), and per key id (only failures are refused), per window. */
  apiKeyPerIp: number;
  apiKeyPerKey: number;
  /** Registrations per IP per registration window (ms). */
  registrationsPerIp: number;
  registrationWindowMs: number;
}

export const DEFAULT_AUTH_THROTTLE: AuthThrottleConfig = {
  windowMs: 15 * 60_000,
  signInPerUsername: 10,
  signInPerIp: 50,
  apiKeyPerIp: 50,
  apiKeyPerKey: 20,
  registrationsPerIp: 5,
  registrationWindowMs: 60 * 60_000,
};

/** A limit on one key: at most `limit` attempts counted per window. */
export interface ThrottleRule {
  /** e.g. `sign_in:user:alice`; see throttleKey. */
  key: string;
  limit: number;
}

/** The window of a throttle and the clock it is measured with (tests move the clock instead of sleeping). */
export interface ThrottleWindow {
  windowMs: number;
  now?: () => Date;
}

/**
 * Builds a throttle key: the kind of attempt, what it is counted by, and the value (e.g. the IP). A value
 * that is long or not printable ASCII (a forged X-Forwarded-For, a username with control characters) is
 * counted by its sha256, so the key always fits the primary key's index and is valid text.
 */
export function throttleKey(kind: 'sign_in' | 'api_key' | 'register' | 'import' | 'signal', by: 'user' | 'ip' | 'key' | 'deployment', value: string): string {
  const safe = /^[\x21-\x7e]{1,200}$/.test(value) ? value : `sha256:${createHash('sha256').update(value).digest('hex')}`;
  return `${kind}:${by}:${safe}`;
}

/** Units reserved by one attempt; `giveBack` returns them (once), `keep` is implied by doing nothing. */
export interface Reservation {
  giveBack(): Promise<void>;
}

interface Held {
  key: string;
  windowStart: Date;
}

async function giveBackUnits(db: DbOrTx, held: Held[]): Promise<void> {
  if (!held.length) return;
  // Only within the same window: after a restart the unit belongs to a window that is gone.
  await db
    .update(authThrottles)
    .set({ count: sql`greatest(${authThrottles.count} - 1, 0)` })
    .where(or(...held.map((h) => and(eq(authThrottles.key, h.key), eq(authThrottles.windowStart, h.windowStart)))));
}

/**
 * Reserves one attempt under every rule at once, or throws TOO_MANY_REQUESTS (429) with
 * `retryAfterSeconds`: the time until the latest-ending exhausted window restarts. Rules without a
 * value to count by (an unknown IP) are left out by the caller.
 */
export async function reserveAttempt(db: DbOrTx, rules: ThrottleRule[], window: ThrottleWindow, message: string): Promise<Reservation> {
  const byKey = new Map<string, number>();
  for (const rule of rules) byKey.set(rule.key, Math.min(byKey.get(rule.key) ?? Infinity, rule.limit));
  const keys = [...byKey.keys()].sort();
  if (!keys.length) return { giveBack: async () => {} };
  const now = window.now?.() ?? new Date();
  const windowStartedBefore = new Date(now.getTime() - window.windowMs);
  const restarts = sql`${authThrottles.windowStart} <= ${windowStartedBefore.toISOString()}::timestamptz`;
  const rows = await db
    .insert(authThrottles)
    .values(keys.map((key) => ({ key, windowStart: now, count: 1 })))
    .onConflictDoUpdate({
      target: authThrottles.key,
      // Both expressions read the row as it was before this statement (one atomic step on a locked row).
      set: {
        windowStart: sql`case when ${restarts} then excluded.window_start else ${authThrottles.windowStart} end`,
        count: sql`case when ${restarts} then 1 else ${authThrottles.count} + 1 end`,
      },
    })
    .returning({ key: authThrottles.key, windowStart: authThrottles.windowStart, count: authThrottles.count });

  const held: Held[] = rows.map((r) => ({ key: r.key, windowStart: r.windowStart }));
  const over = rows.filter((r) => r.count > byKey.get(r.key)!);
  if (over.length) {
    await giveBackUnits(db, held);
    const endsAt = Math.max(...over.map((r) => r.windowStart.getTime() + window.windowMs));
    const retryAfterSeconds = Math.max(1, Math.ceil((endsAt - now.getTime()) / 1000));
    throw new AppError('TOO_MANY_REQUESTS', message, { retryAfterSeconds });
  }
  let given = false;
  return {
    giveBack: async () => {
      if (given) return;
      given = true;
      await giveBackUnits(db, held);
    },
  };
}

/**
 * Counts one attempt under a rule after the fact and says whether it went over the limit. For the
 * per-key-id count of API keys, where checking is cheap and the holder of the right key must never be
 * locked out by someone who only knows its public id (see authenticateApiKey).
 */
export async function countAttempt(db: DbOrTx, rule: ThrottleRule, window: ThrottleWindow): Promise<{ over: boolean; retryAfterSeconds: number }> {
  try {
    await reserveAttempt(db, [rule], window, '');
    return { over: false, retryAfterSeconds: 0 };
  } catch (error) {
    if (error instanceof AppError && error.code === 'TOO_MANY_REQUESTS') return { over: true, retryAfterSeconds: error.details?.retryAfterSeconds ?? 1 };
    throw error;
  }
}

/** No throttle window is longer (server/env.ts caps both windows at 1440 minutes). */
export const MAX_THROTTLE_WINDOW_MS = 24 * 3_600_000;

/**
 * Deletes counters whose window started more than `olderThanMs` ago (default: the longest window): the
 * next attempt of such a key would restart it anyway, so nothing changes but the table's size. Run
 * hourly by the worker (server/worker/throttle-prune.ts).
 */
export async function pruneThrottles(db: DbOrTx, now: Date = new Date(), olderThanMs: number = MAX_THROTTLE_WINDOW_MS): Promise<number> {
  const rows = await db
    .delete(authThrottles)
    .where(sql`${authThrottles.windowStart} < ${new Date(now.getTime() - olderThanMs).toISOString()}::timestamptz`)
    .returning({ key: authThrottles.key });
  return rows.length;
}
