import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, refreshTokens, users } from '@/db/schema';
import { verifyPassword } from './password';
import { AppError } from '@/server/core/errors';
import { codeOf } from '@/server/testing/errors';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { issueTokenPair, refreshTokenPair, verifyAccessToken, ACCESS_TOKEN_TTL_SECONDS } from './tokens';
import { DEFAULT_AUTH_THROTTLE } from './throttle';
import { registerUser, verifyCredentials } from './users';

const config = { secret: 'x'.repeat(48), refreshTokenTtlDays: 30 };

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.destroy());

describe('registration', () => {
  it('makes the first account an admin and later ones users, even when they race', async () => {
    const results = await Promise.all(['racer-a', 'racer-b', 'racer-c'].map((username) => registerUser(t.db, { username, password: 'long enough pw' })));
    const roles = results.map((u) => u.role).sort();
    expect(roles, 'exactly one of the racing first registrations becomes admin').toEqual(['admin', 'user', 'user']);
    const later = await registerUser(t.db, { username: 'later', password: 'long enough pw' });
    expect(later.role).toBe('user');
  });

  it('stores a scrypt hash, never the password', async () => {
    await registerUser(t.db, { username: 'hashme', password: 'correct horse battery' });
    const [row] = await t.db.select().from(users).where(eq(users.username, 'hashme'));
    expect(row!.passwordHash, 'a memory-hard hash format').toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(row!.passwordHash).not.toContain('correct horse');
    expect(await verifyPassword('correct horse battery', row!.passwordHash)).toBe(true);
    expect(await verifyPassword('wrong horse battery', row!.passwordHash)).toBe(false);
  });

  it('refuses a taken username with CONFLICT', async () => {
    await registerUser(t.db, { username: 'taken', password: 'long enough pw' });
    expect(await codeOf(registerUser(t.db, { username: 'taken', password: 'another long pw' }))).toBe('CONFLICT');
  });
});

describe('sign-in', () => {
  it('gives the same error for an unknown user and a wrong password, and records both', async () => {
    await registerUser(t.db, { username: 'signer', password: 'the right password' });
    expect(await codeOf(verifyCredentials(t.db, { username: 'signer', password: 'the wrong password' }))).toBe('UNAUTHORIZED');
    expect(await codeOf(verifyCredentials(t.db, { username: 'nobody-here', password: 'the right password' }))).toBe('UNAUTHORIZED');
    const ok = await verifyCredentials(t.db, { username: 'signer', password: 'the right password' });
    expect(ok.username).toBe('signer');
    const failed = await t.db.select().from(auditEvents).where(eq(auditEvents.type, 'auth.sign_in_failed'));
    expect(failed.map((e) => e.username).sort()).toEqual(['nobody-here', 'signer']);
  });

  // Eleven sequential scrypt verifications: generous time on a loaded machine.
  it('throttles a username after repeated failures with TOO_MANY_REQUESTS and a retry-after', { timeout: 120_000 }, async () => {
    await registerUser(t.db, { username: 'bruteforced', password: 'the right password' });
    for (let i = 0; i < DEFAULT_AUTH_THROTTLE.signInPerUsername; i++) {
      expect(await codeOf(verifyCredentials(t.db, { username: 'bruteforced', password: `guess ${i} guess` }))).toBe('UNAUTHORIZED');
    }
    const error = await verifyCredentials(t.db, { username: 'bruteforced', password: 'the right password' }).catch((e: AppError) => e);
    expect(error, 'even the right password is refused while throttled').toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('TOO_MANY_REQUESTS');
    expect((error as AppError).details?.retryAfterSeconds).toBeGreaterThan(0);
  });
});

describe('tokens', () => {
  it('issues a 15-minute access token that verifies to its user and expires', async () => {
    const user = await registerUser(t.db, { username: 'tokenuser', password: 'long enough pw' });
    const pair = await issueTokenPair(t.db, { ...user, sessionVersion: 0 }, config);
    expect(pair.expiresIn).toBe(15 * 60);
    expect((await verifyAccessToken(t.db, pair.accessToken, config))?.id).toBe(user.id);
    const later = new Date(Date.now() + (ACCESS_TOKEN_TTL_SECONDS + 5) * 1000);
    expect(await verifyAccessToken(t.db, pair.accessToken, { ...config, now: () => later }), 'expired after 15 minutes').toBeNull();
    expect(await verifyAccessToken(t.db, pair.accessToken, { ...config, secret: 'y'.repeat(48) }), 'signed with our key only').toBeNull();
  });

  it('invalidates access tokens when the session version is bumped', async () => {
    const user = await registerUser(t.db, { username: 'revoked', password: 'long enough pw' });
    const pair = await issueTokenPair(t.db, { ...user, sessionVersion: 0 }, config);
    await t.db.update(users).set({ sessionVersion: 1 }).where(eq(users.id, user.id));
    expect(await verifyAccessToken(t.db, pair.accessToken, config)).toBeNull();
  });

  it('rotates refresh tokens once each, and a reused one revokes its whole family', async () => {
    const user = await registerUser(t.db, { username: 'refresher', password: 'long enough pw' });
    const first = await issueTokenPair(t.db, { ...user, sessionVersion: 0 }, config);
    const second = await refreshTokenPair(t.db, first.refreshToken, config);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect((await verifyAccessToken(t.db, second.accessToken, config))?.id).toBe(user.id);

    expect(await codeOf(refreshTokenPair(t.db, first.refreshToken, config)), 'a retired token is refused').toBe('UNAUTHORIZED');
    expect(await codeOf(refreshTokenPair(t.db, second.refreshToken, config)), 'the replay revoked the live successor too').toBe('UNAUTHORIZED');
    const family = await t.db.select().from(refreshTokens).where(eq(refreshTokens.userId, user.id));
    expect(family.every((row) => row.revokedAt !== null)).toBe(true);
  });

  it('refuses an expired refresh token', async () => {
    const user = await registerUser(t.db, { username: 'expiring', password: 'long enough pw' });
    const pair = await issueTokenPair(t.db, { ...user, sessionVersion: 0 }, config);
    const later = new Date(Date.now() + 31 * 86_400_000);
    expect(await codeOf(refreshTokenPair(t.db, pair.refreshToken, { ...config, now: () => later }))).toBe('UNAUTHORIZED');
  });

  it('refuses an unknown refresh token', async () => {
    expect(await codeOf(refreshTokenPair(t.db, 'cbr_not-a-real-token', config))).toBe('UNAUTHORIZED');
  });
});
