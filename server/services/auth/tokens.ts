import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { Db, DbOrTx } from '@/db/client';
import { refreshTokens, users } from '@/db/schema';
import { AppError } from '@/server/core/errors';
import { isUuid } from '@/server/core/ids';
import { recordAudit } from '@/server/services/audit';
import type { AuthUser } from './users';

export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
const ISSUER = 'cryptobot';
const AUDIENCE = 'cryptobot-api';

export interface TokenConfig {
  /** NEXTAUTH_SECRET; the access-token key is derived from it, never used directly. */
  secret: string;
  refreshTokenTtlDays: number;
  now?: () => Date;
}

function accessKey(secret: string): Uint8Array {
  return createHash('sha256').update(`cryptobot access token v1:${secret}`).digest();
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

/**
 * An access token names the refresh token issued beside it (`rt`, that row's id): when that row's family
 * is revoked (a reused refresh token, sign-out everywhere), the access token stops too, before its expiry.
 */
async function issuePair(db: DbOrTx, user: AuthUser, familyId: string, config: TokenConfig): Promise<TokenPair> {
  const now = config.now?.() ?? new Date();
  const refreshTokenId = randomUUID();
  const accessToken = await new SignJWT({ sv: user.sessionVersion, rt: refreshTokenId, role: user.role, username: user.username })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(user.id)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(Math.floor(now.getTime() / 1000))
    .setExpirationTime(Math.floor(now.getTime() / 1000) + ACCESS_TOKEN_TTL_SECONDS)
    .sign(accessKey(config.secret));
  const refreshToken = `cbr_${randomBytes(32).toString('base64url')}`;
  await db.insert(refreshTokens).values({
    id: refreshTokenId,
    userId: user.id,
    familyId,
    tokenHash: sha256(refreshToken),
    expiresAt: new Date(now.getTime() + config.refreshTokenTtlDays * 86_400_000),
  });
  return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: ACCESS_TOKEN_TTL_SECONDS };
}

/** A fresh token family for a user who just proved their credentials. */
export function issueTokenPair(db: Db, user: AuthUser, config: TokenConfig): Promise<TokenPair> {
  return issuePair(db, user, randomUUID(), config);
}

const invalidRefresh = () => new AppError('UNAUTHORIZED', 'invalid or expired refresh token');

/**
 * Exchanges a refresh token for a new pair. The token is single use, and a retired token presented again
 * (a replay, or a stolen copy racing its owner) revokes its whole family: every refresh token, and the
 * access tokens issued beside them.
 *
 * One transaction that first locks the user's row (the family's lock; `revokeSessions` takes the same
 * lock by bumping the session version), then reads the token's current state. So presenters of one token
 * run one at a time: the first retires it and inserts the successor; every later one, arriving after that
 * commit, sees a retired token and revokes the family with a statement that sees the successor. A winner
 * can never insert after a loser revoked, and nothing issued to a presenter of a reused token survives.
 * Lock order: users row, then refresh_tokens rows (as in revokeSessions). Nothing inside waits on another
 * connection or the network.
 */
export async function refreshTokenPair(db: Db, refreshToken: string, config: TokenConfig, meta: { ip?: string | null } = {}): Promise<TokenPair> {
  const now = config.now?.() ?? new Date();
  const hash = sha256(refreshToken);
  const outcome = await db.transaction(async (tx): Promise<{ pair: TokenPair } | { refused: 'unknown' | 'reused' }> => {
    const [found] = await tx.select({ userId: refreshTokens.userId }).from(refreshTokens).where(eq(refreshTokens.tokenHash, hash)).limit(1);
    if (!found) return { refused: 'unknown' };
    const [user] = await tx
      .select({ id: users.id, username: users.username, role: users.role, sessionVersion: users.sessionVersion })
      .from(users)
      .where(eq(users.id, found.userId))
      .for('no key update');
    if (!user) return { refused: 'unknown' };
    // Read again under the lock: this is the token's state after every earlier presenter committed.
    const [token] = await tx.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, hash)).limit(1);
    if (!token || token.revokedAt) return { refused: 'unknown' };
    if (token.retiredAt) {
      await tx
        .update(refreshTokens)
        .set({ revokedAt: now })
        .where(and(eq(refreshTokens.familyId, token.familyId), isNull(refreshTokens.revokedAt)));
      await recordAudit(tx, { type: 'auth.refresh_reuse_detected', userId: token.userId, ip: meta.ip, at: now, details: { familyId: token.familyId } });
      return { refused: 'reused' };
    }
    if (token.expiresAt.getTime() <= now.getTime()) return { refused: 'unknown' };
    await tx.update(refreshTokens).set({ retiredAt: now }).where(eq(refreshTokens.id, token.id));
    await recordAudit(tx, { type: 'auth.token_refreshed', userId: user.id, ip: meta.ip, at: now, details: { familyId: token.familyId } });
    return { pair: await issuePair(tx, user, token.familyId, config) };
  });
  // A reuse is refused only after its revocation committed.
  if ('refused' in outcome) throw invalidRefresh();
  return outcome.pair;
}

/** Clocks of several web instances may differ a little; an `iat` further ahead than this is refused. */
const CLOCK_SKEW_SECONDS = 60;

/**
 * Verifies a bearer access token and returns its user, or null. Only tokens as issuePair makes them pass:
 * signed with our key, with `exp`, `iat` (not in the future, at most the lifetime before `exp`), the
 * user's current session version (bumping it ends every token), and a refresh-token row whose family is
 * not revoked. A correctly signed token without `exp` would never expire: it is refused.
 */
export async function verifyAccessToken(db: Db, token: string, config: Pick<TokenConfig, 'secret' | 'now'>): Promise<AuthUser | null> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, accessKey(config.secret), {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['HS256'],
      requiredClaims: ['exp', 'iat', 'sub'],
      currentDate: config.now?.(),
    }));
  } catch {
    return null;
  }
  const nowSeconds = Math.floor((config.now?.() ?? new Date()).getTime() / 1000);
  const { sub, sv, rt, iat, exp } = payload;
  if (typeof sub !== 'string' || !isUuid(sub) || typeof sv !== 'number' || typeof rt !== 'string' || !isUuid(rt)) return null;
  if (typeof iat !== 'number' || typeof exp !== 'number' || iat > nowSeconds + CLOCK_SKEW_SECONDS || exp - iat > ACCESS_TOKEN_TTL_SECONDS) return null;
  const [row] = await db
    .select({
      id: users.id,
      username: users.username,
      role: users.role,
      sessionVersion: users.sessionVersion,
      familyRevoked: sql<boolean>`exists (select 1 from refresh_tokens r where r.id = ${rt}::uuid and r.revoked_at is not null)`,
    })
    .from(users)
    .where(eq(users.id, sub))
    .limit(1);
  if (!row || row.sessionVersion !== sv || row.familyRevoked) return null;
  return { id: row.id, username: row.username, role: row.role, sessionVersion: row.sessionVersion };
}
