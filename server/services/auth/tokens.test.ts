import { createHash, randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, refreshTokens } from '@/db/schema';
import { codeOf } from '@/server/testing/errors';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { signOutEverywhere } from './account';
import { ACCESS_TOKEN_TTL_SECONDS, issueTokenPair, refreshTokenPair, verifyAccessToken, type TokenPair } from './tokens';
import { registerUser, type AuthUser } from './users';

const config = { secret: 'r'.repeat(48), refreshTokenTtlDays: 30 };

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.destroy());

async function newUser(prefix: string): Promise<AuthUser> {
  const user = await registerUser(t.db, { username: `${prefix}-${randomBytes(4).toString('hex')}`, password: 'long enough pw' });
  return { ...user, sessionVersion: 0 };
}

/** Every refresh token of the family refused, every access token refused, every row revoked. */
async function assertFamilyDead(familyId: string, pairs: TokenPair[], why: string): Promise<void> {
  for (const pair of pairs)
    expect(await codeOf(refreshTokenPair(t.db, pair.refreshToken, config)), `${why}: a refresh token of the family still works`).toBe('UNAUTHORIZED');
  for (const pair of pairs) expect(await verifyAccessToken(t.db, pair.accessToken, config), `${why}: an access token of the family still works`).toBeNull();
  const rows = await t.db.select().from(refreshTokens).where(eq(refreshTokens.familyId, familyId));
  expect(rows.filter((r) => r.revokedAt === null).length, `${why}: every row of the family is revoked`).toBe(0);
}

describe('refresh-token reuse under real concurrency', () => {
  for (const burst of [10, 50]) {
    it(`${burst} simultaneous refreshes of one token, several rounds: one winner, and nothing of the family survives`, async () => {
      for (let round = 0; round < 4; round++) {
        const user = await newUser(`burst${burst}`);
        const first = await issueTokenPair(t.db, user, config);
        const [row] = await t.db.select().from(refreshTokens).where(eq(refreshTokens.userId, user.id));
        const results = await Promise.allSettled(Array.from({ length: burst }, () => refreshTokenPair(t.db, first.refreshToken, config)));
        const winners = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
        const refusals = results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as { code?: string }).code ?? r.reason)] : []));
        expect(winners.length, `round ${round}: presenters of one token run one at a time, so exactly one wins`).toBe(1);
        expect(new Set(refusals), `round ${round}: every other presenter is refused as unauthorized (no deadlock, no 500)`).toEqual(new Set(['UNAUTHORIZED']));
        await assertFamilyDead(row!.familyId, [first, ...winners], `round ${round} of ${burst}`);
        const detected = await t.db.select().from(auditEvents).where(eq(auditEvents.userId, user.id));
        expect(detected.filter((e) => e.type === 'auth.refresh_reuse_detected').length, 'the reuse is audited once').toBe(1);
      }
    });
  }

  it('a stale token replayed while its successor is being refreshed revokes what that refresh issued', async () => {
    for (let round = 0; round < 4; round++) {
      const user = await newUser('stale');
      const first = await issueTokenPair(t.db, user, config);
      const second = await refreshTokenPair(t.db, first.refreshToken, config);
      const [row] = await t.db.select().from(refreshTokens).where(eq(refreshTokens.userId, user.id)).limit(1);
      const results = await Promise.allSettled([
        ...Array.from({ length: 5 }, () => refreshTokenPair(t.db, second.refreshToken, config)),
        ...Array.from({ length: 5 }, () => refreshTokenPair(t.db, first.refreshToken, config)),
      ]);
      const issued = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      await assertFamilyDead(row!.familyId, [first, second, ...issued], `round ${round}`);
    }
  });

  it('sign-out everywhere racing refreshes leaves no token working', async () => {
    for (let round = 0; round < 4; round++) {
      const user = await newUser('signout');
      const pairs = await Promise.all(Array.from({ length: 4 }, () => issueTokenPair(t.db, user, config)));
      const results = await Promise.allSettled([...pairs.map((p) => refreshTokenPair(t.db, p.refreshToken, config)), signOutEverywhere(t.db, user.id)]);
      const issued = results.flatMap((r) => (r.status === 'fulfilled' && r.value ? [r.value] : []));
      for (const pair of issued) {
        expect(await codeOf(refreshTokenPair(t.db, pair.refreshToken, config)), `round ${round}: a refresh token issued beside the sign-out survived`).toBe(
          'UNAUTHORIZED',
        );
        expect(await verifyAccessToken(t.db, pair.accessToken, config)).toBeNull();
      }
    }
  });
});

describe('access token claims', () => {
  /** Signs like issuePair does (same derived key and claims), with the claims under test changed. */
  async function forge(user: AuthUser, rt: string, claims: { iat?: number; exp?: number }): Promise<string> {
    const key = createHash('sha256').update(`cryptobot access token v1:${config.secret}`).digest();
    let jwt = new SignJWT({ sv: user.sessionVersion, rt, role: user.role, username: user.username })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.id)
      .setIssuer('cryptobot')
      .setAudience('cryptobot-api');
    if (claims.iat !== undefined) jwt = jwt.setIssuedAt(claims.iat);
    if (claims.exp !== undefined) jwt = jwt.setExpirationTime(claims.exp);
    return jwt.sign(key);
  }

  it('refuses a correctly signed token without exp, with iat in the future, or living longer than 15 minutes', async () => {
    const user = await newUser('claims');
    await issueTokenPair(t.db, user, config);
    const [row] = await t.db.select().from(refreshTokens).where(eq(refreshTokens.userId, user.id));
    const now = Math.floor(Date.now() / 1000);
    expect(
      (await verifyAccessToken(t.db, await forge(user, row!.id, { iat: now, exp: now + ACCESS_TOKEN_TTL_SECONDS }), config))?.id,
      'the forging itself is right: with the issued claims it passes',
    ).toBe(user.id);
    expect(await verifyAccessToken(t.db, await forge(user, row!.id, { iat: now }), config), 'no exp: it would never expire').toBeNull();
    expect(await verifyAccessToken(t.db, await forge(user, row!.id, { exp: now + 60 }), config), 'no iat').toBeNull();
    expect(await verifyAccessToken(t.db, await forge(user, row!.id, { iat: now + 3600, exp: now + 3600 + 60 }), config), 'iat an hour ahead').toBeNull();
    expect(await verifyAccessToken(t.db, await forge(user, row!.id, { iat: now, exp: now + 365 * 86_400 }), config), 'a year-long lifetime').toBeNull();
  });
});
