import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import { jwtVerify, SignJWT } from 'jose';
import type { Db } from '@/db/client';
import { refreshTokens } from '@/db/schema';
import { AppError } from '@/server/core/errors';
import { recordAudit } from '@/server/services/audit';
import { findUserById, type AuthUser } from './users';

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

async function issuePair(db: Db, user: AuthUser, familyId: string, config: TokenConfig): Promise<TokenPair> {
  const now = config.now?.() ?? new Date();
  const accessToken = await new SignJWT({ sv: user.sessionVersion, role: user.role, username: user.username })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(user.id)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(Math.floor(now.getTime() / 1000))
    .setExpirationTime(Math.floor(now.getTime() / 1000) + ACCESS_TOKEN_TTL_SECONDS)
    .sign(accessKey(config.secret));
  const refreshToken = `cbr_${randomBytes(32).toString('base64url')}`;
  await db.insert(refreshTokens).values({
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
 * Exchanges a refresh token for a new pair. The token is single use: it is retired atomically, and a
 * retired token presented again (a replay, or a stolen copy) revokes its whole family.
 */
export async function refreshTokenPair(db: Db, refreshToken: string, config: TokenConfig, meta: { ip?: string | null } = {}): Promise<TokenPair> {
  const now = config.now?.() ?? new Date();
  const hash = sha256(refreshToken);
  const [retired] = await db
    .update(refreshTokens)
    .set({ retiredAt: now })
    .where(and(eq(refreshTokens.tokenHash, hash), isNull(refreshTokens.retiredAt), isNull(refreshTokens.revokedAt)))
    .returning();
  if (!retired) {
    const [known] = await db.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, hash)).limit(1);
    if (known && known.retiredAt && !known.revokedAt) {
      await db.update(refreshTokens).set({ revokedAt: now }).where(and(eq(refreshTokens.familyId, known.familyId), isNull(refreshTokens.revokedAt)));
      await recordAudit(db, { type: 'auth.refresh_reuse_detected', userId: known.userId, ip: meta.ip, details: { familyId: known.familyId } });
    }
    throw invalidRefresh();
  }
  if (retired.expiresAt.getTime() <= now.getTime()) throw invalidRefresh();
  const user = await findUserById(db, retired.userId);
  if (!user) throw invalidRefresh();
  await recordAudit(db, { type: 'auth.token_refreshed', userId: user.id, ip: meta.ip, details: { familyId: retired.familyId } });
  return issuePair(db, user, retired.familyId, config);
}

/**
 * Verifies a bearer access token and returns its user, or null. The token's session version must equal
 * the user's current one, so bumping it (sign-out everywhere, password change) invalidates old tokens.
 */
export async function verifyAccessToken(db: Db, token: string, config: Pick<TokenConfig, 'secret' | 'now'>): Promise<AuthUser | null> {
  try {
    const { payload } = await jwtVerify(token, accessKey(config.secret), {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['HS256'],
      currentDate: config.now?.(),
    });
    if (typeof payload.sub !== 'string' || typeof payload.sv !== 'number') return null;
    const user = await findUserById(db, payload.sub);
    return user && user.sessionVersion === payload.sv ? user : null;
  } catch {
    return null;
  }
}
