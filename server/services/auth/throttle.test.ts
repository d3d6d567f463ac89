import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, authThrottles, users } from '@/db/schema';
import { AppError } from '@/server/core/errors';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { authenticateApiKey, createKey } from '@/server/services/keys';
import { assembleKey, generateKey, generateKeyParts } from '@/server/services/keys/format';
import { DEFAULT_AUTH_THROTTLE, MAX_THROTTLE_WINDOW_MS, pruneThrottles, throttleKey, type AuthThrottleConfig } from './throttle';
import { registerUser, verifyCredentials } from './users';

/**
 * The throttles under real concurrency: bursts of attempts at once against one PostgreSQL. "Evaluated"
 * is counted by what only an evaluated attempt leaves behind: a failed sign-in's audit row (written after
 * its scrypt verification), a created user (after its scrypt hash), an "invalid API key" answer (after
 * the lookup). Clocks are injected; nothing sleeps.
 */
let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
  // The first account becomes the admin; create it so later registrations are ordinary users.
  await registerUser(t.db, { username: 'throttle-first', password: 'long enough pw' });
});
afterAll(() => t.destroy());

const LIMITS: AuthThrottleConfig = { ...DEFAULT_AUTH_THROTTLE };
const WINDOW_S = LIMITS.windowMs / 1000;

/** A clock the test moves by hand. */
function manualClock(start = new Date('2031-03-01T12:00:00Z')) {
  let now = start.getTime();
  return { now: () => new Date(now), advance: (ms: number) => void (now += ms) };
}

interface Outcome {
  code: string;
  retryAfterSeconds?: number;
}
async function outcome(promise: Promise<unknown>): Promise<Outcome> {
  try {
    await promise;
    return { code: 'resolved' };
  } catch (error) {
    if (error instanceof AppError) return { code: error.code, retryAfterSeconds: error.details?.retryAfterSeconds };
    throw error;
  }
}

const failedSignIns = async (username: string) =>
  (
    await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.type, 'auth.sign_in_failed'), eq(auditEvents.username, username)))
  ).length;
const successfulSignIns = async (username: string) =>
  (
    await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.type, 'auth.sign_in'), eq(auditEvents.username, username)))
  ).length;

// Bursts of scrypt hashes on a shared, loaded machine: generous time, no timing assertions.
describe('sign-in throttle under concurrency', { timeout: 120_000 }, () => {
  it.each([30, 100])('a burst of %i wrong passwords for one user evaluates exactly the limit; the rest are 429 with the remaining window', async (burst) => {
    const username = `burst-${burst}`;
    await registerUser(t.db, { username, password: 'the right password' });
    const clock = manualClock();
    const results = await Promise.all(
      Array.from({ length: burst }, (_, i) =>
        outcome(verifyCredentials(t.db, { username, password: `wrong guess ${i}` }, { throttle: LIMITS, now: clock.now })),
      ),
    );
    const evaluated = results.filter((r) => r.code === 'UNAUTHORIZED').length;
    const refused = results.filter((r) => r.code === 'TOO_MANY_REQUESTS');
    expect(evaluated, 'exactly the limit were checked').toBe(LIMITS.signInPerUsername);
    expect(await failedSignIns(username), 'one scrypt verification (and audit row) per evaluated attempt, no more').toBe(LIMITS.signInPerUsername);
    expect(refused.length, 'every other attempt refused').toBe(burst - LIMITS.signInPerUsername);
    expect(new Set(refused.map((r) => r.retryAfterSeconds)), 'Retry-After is the window remaining: the whole window at its start').toEqual(new Set([WINDOW_S]));
  });

  it('refuses the right password sent once the burst has used the limit, while the burst is still running', async () => {
    const username = 'hidden-right';
    await registerUser(t.db, { username, password: 'the right password' });
    const clock = manualClock();
    const wrong = Array.from({ length: 29 }, (_, i) =>
      outcome(verifyCredentials(t.db, { username, password: `wrong guess ${i}` }, { throttle: LIMITS, now: clock.now })),
    );
    // The signal: the limit is reserved (committed in the throttle row), not a guessed delay.
    for (;;) {
      const [row] = await t.db
        .select()
        .from(authThrottles)
        .where(eq(authThrottles.key, throttleKey('sign_in', 'user', username)));
      if ((row?.count ?? 0) >= LIMITS.signInPerUsername) break;
    }
    const right = await outcome(verifyCredentials(t.db, { username, password: 'the right password' }, { throttle: LIMITS, now: clock.now }));
    await Promise.all(wrong);
    expect(right.code, 'the right password hidden in the burst is refused').toBe('TOO_MANY_REQUESTS');
    expect(await successfulSignIns(username), 'and did not sign in').toBe(0);
    expect(await failedSignIns(username)).toBe(LIMITS.signInPerUsername);
  });

  it('answers Retry-After with the real remaining time, and evaluates again once the window is over', async () => {
    const username = 'window-user';
    await registerUser(t.db, { username, password: 'the right password' });
    const clock = manualClock();
    const limits = { ...LIMITS, signInPerUsername: 3 };
    await Promise.all(
      Array.from({ length: 3 }, (_, i) => outcome(verifyCredentials(t.db, { username, password: `wrong ${i} guess` }, { throttle: limits, now: clock.now }))),
    );
    clock.advance(5 * 60_000);
    const refused = await outcome(verifyCredentials(t.db, { username, password: 'the right password' }, { throttle: limits, now: clock.now }));
    expect(refused).toEqual({ code: 'TOO_MANY_REQUESTS', retryAfterSeconds: WINDOW_S - 5 * 60 });
    clock.advance(10 * 60_000);
    const after = await outcome(verifyCredentials(t.db, { username, password: 'the right password' }, { throttle: limits, now: clock.now }));
    expect(after.code, 'a new window: the right password works again').toBe('resolved');
  });

  it('does not count a successful sign-in as a failure', async () => {
    const username = 'mostly-right';
    await registerUser(t.db, { username, password: 'the right password' });
    const clock = manualClock();
    const limits = { ...LIMITS, signInPerUsername: 3 };
    const attempt = (password: string) => outcome(verifyCredentials(t.db, { username, password }, { throttle: limits, now: clock.now }));
    expect((await attempt('wrong guess one')).code).toBe('UNAUTHORIZED');
    expect((await attempt('wrong guess two')).code).toBe('UNAUTHORIZED');
    for (let i = 0; i < 5; i++) expect((await attempt('the right password')).code, 'successes give their unit back').toBe('resolved');
    expect((await attempt('wrong guess three')).code, 'the third failure is still evaluated').toBe('UNAUTHORIZED');
    expect((await attempt('the right password')).code, 'then the limit holds').toBe('TOO_MANY_REQUESTS');
  });

  it('limits failures per IP across usernames, and leaves other addresses alone', async () => {
    const clock = manualClock();
    const limits = { ...LIMITS, signInPerIp: 7 };
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        outcome(verifyCredentials(t.db, { username: `sprayed-${i}`, password: 'a common password' }, { ip: '198.51.100.7', throttle: limits, now: clock.now })),
      ),
    );
    expect(results.filter((r) => r.code === 'UNAUTHORIZED').length, 'at most the per-IP limit evaluated').toBe(7);
    expect(results.filter((r) => r.code === 'TOO_MANY_REQUESTS').length).toBe(23);
    const elsewhere = await outcome(
      verifyCredentials(t.db, { username: 'sprayed-0', password: 'a common password' }, { ip: '198.51.100.8', throttle: limits, now: clock.now }),
    );
    expect(elsewhere.code, 'another address is evaluated').toBe('UNAUTHORIZED');
  });
});

// Bursts of scrypt hashes on a shared, loaded machine: generous time, no timing assertions.
describe('API-key throttle under concurrency', { timeout: 120_000 }, () => {
  it('evaluates at most the per-IP limit of a burst of 100 wrong keys; the rest are refused unevaluated, a valid key included', async () => {
    const [owner] = await t.db.select().from(users).where(eq(users.username, 'throttle-first'));
    const clock = manualClock();
    const valid = await createKey(
      t.db,
      { id: owner!.id, role: owner!.role, scopes: ['read'], apiKeyId: null },
      { name: 'bot', scopes: ['read'] },
      { now: clock.now },
    );
    const ip = '203.0.113.50';
    const results = await Promise.all(Array.from({ length: 100 }, () => authenticateApiKey(t.db, generateKey().key, { ip, throttle: LIMITS, now: clock.now })));
    const evaluated = results.filter((r) => !r.ok && r.message === 'invalid API key').length;
    const refused = results.filter((r) => !r.ok && r.retryAfterSeconds !== undefined);
    expect(evaluated, 'looked up: exactly the limit').toBe(LIMITS.apiKeyPerIp);
    expect(refused.length).toBe(100 - LIMITS.apiKeyPerIp);
    expect(refused.every((r) => !r.ok && r.retryAfterSeconds === WINDOW_S)).toBe(true);
    const fromThatIp = await authenticateApiKey(t.db, valid.key, { ip, throttle: LIMITS, now: clock.now });
    expect(fromThatIp.ok, 'a valid key from an exhausted address waits too').toBe(false);
    expect(fromThatIp.ok ? null : fromThatIp.retryAfterSeconds).toBe(WINDOW_S);
    clock.advance(LIMITS.windowMs);
    expect((await authenticateApiKey(t.db, valid.key, { ip, throttle: LIMITS, now: clock.now })).ok, 'after the window').toBe(true);
  });

  it('refuses further wrong secrets for one key id past its limit, but never its holder', async () => {
    const [owner] = await t.db.select().from(users).where(eq(users.username, 'throttle-first'));
    const clock = manualClock();
    const valid = await createKey(
      t.db,
      { id: owner!.id, role: owner!.role, scopes: ['read'], apiKeyId: null },
      { name: 'target', scopes: ['read'] },
      { now: clock.now },
    );
    const keyId = valid.prefix.slice('cb_'.length);
    // Well-formed keys (valid checksum) with the target's id and other secrets, each from another address.
    const wellFormed = Array.from({ length: 30 }, () => assembleKey(keyId, generateKeyParts().secret));
    const results = await Promise.all(wellFormed.map((k, i) => authenticateApiKey(t.db, k, { ip: `192.0.2.${i + 1}`, throttle: LIMITS, now: clock.now })));
    expect(results.filter((r) => !r.ok && r.message === 'invalid API key').length).toBe(LIMITS.apiKeyPerKey);
    expect(results.filter((r) => !r.ok && r.retryAfterSeconds !== undefined).length).toBe(30 - LIMITS.apiKeyPerKey);
    expect(
      (await authenticateApiKey(t.db, valid.key, { ip: '192.0.2.200', throttle: LIMITS, now: clock.now })).ok,
      'the holder of the right secret is never locked out',
    ).toBe(true);
  });
});

// Bursts of scrypt hashes on a shared, loaded machine: generous time, no timing assertions.
describe('registration throttle under concurrency', { timeout: 120_000 }, () => {
  it('creates at most the per-IP limit of a burst of 20 registrations from one address; the rest are 429', async () => {
    const clock = manualClock();
    const ip = '203.0.113.77';
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        outcome(registerUser(t.db, { username: `signup-${i}`, password: 'long enough pw' }, { ip, throttle: LIMITS, now: clock.now })),
      ),
    );
    const created = await t.db.select().from(users);
    expect(results.filter((r) => r.code === 'resolved').length, 'at most the limit hashed and created').toBe(LIMITS.registrationsPerIp);
    expect(created.filter((u) => u.username.startsWith('signup-')).length).toBe(LIMITS.registrationsPerIp);
    const refused = results.filter((r) => r.code === 'TOO_MANY_REQUESTS');
    expect(refused.length).toBe(20 - LIMITS.registrationsPerIp);
    expect(refused.every((r) => r.retryAfterSeconds === LIMITS.registrationWindowMs / 1000)).toBe(true);

    clock.advance(LIMITS.registrationWindowMs - 1000);
    expect(await outcome(registerUser(t.db, { username: 'signup-late', password: 'long enough pw' }, { ip, throttle: LIMITS, now: clock.now }))).toEqual({
      code: 'TOO_MANY_REQUESTS',
      retryAfterSeconds: 1,
    });
    clock.advance(1000);
    expect(
      (await outcome(registerUser(t.db, { username: 'signup-next', password: 'long enough pw' }, { ip, throttle: LIMITS, now: clock.now }))).code,
      'a new window',
    ).toBe('resolved');
  });
});

describe('pruning', () => {
  it('deletes only counters whose window is over, and a pruned key starts a fresh window', async () => {
    const clock = manualClock(new Date('2032-01-01T00:00:00Z'));
    await verifyCredentials(t.db, { username: 'prune-old', password: 'some wrong password' }, { throttle: LIMITS, now: clock.now }).catch(() => {});
    clock.advance(MAX_THROTTLE_WINDOW_MS + 60_000);
    await verifyCredentials(t.db, { username: 'prune-new', password: 'some wrong password' }, { throttle: LIMITS, now: clock.now }).catch(() => {});
    expect(await pruneThrottles(t.db, clock.now())).toBeGreaterThanOrEqual(1);
    const keys = (await t.db.select().from(authThrottles)).map((r) => r.key);
    expect(keys).not.toContain(throttleKey('sign_in', 'user', 'prune-old'));
    expect(keys, 'a running window stays').toContain(throttleKey('sign_in', 'user', 'prune-new'));
  });
});

describe('keys', () => {
  it('counts a long or unprintable value (a forged X-Forwarded-For) by its hash, and still throttles it', async () => {
    const hugeIp = 'x'.repeat(5000);
    expect(throttleKey('sign_in', 'ip', hugeIp).length).toBeLessThan(100);
    expect(throttleKey('sign_in', 'user', 'a\u0000b')).toMatch(/^sign_in:user:sha256:[0-9a-f]{64}$/);
    const clock = manualClock();
    const limits = { ...LIMITS, signInPerIp: 2 };
    const results = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        outcome(verifyCredentials(t.db, { username: `huge-ip-${i}`, password: 'a wrong password' }, { ip: hugeIp, throttle: limits, now: clock.now })),
      ),
    );
    expect(results.map((r) => r.code).sort()).toEqual(['TOO_MANY_REQUESTS', 'TOO_MANY_REQUESTS', 'UNAUTHORIZED', 'UNAUTHORIZED']);
  });
});
