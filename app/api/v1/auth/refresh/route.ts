import { readJson, reply, withPublic } from '@/server/api/rest';
import { ZRefreshRequestSchema, ZTokenPairResponseSchema } from '@/server/api/schemas/auth';
import { getEnv } from '@/server/env';
import { refreshTokenPair } from '@/server/services/auth/tokens';

// POST /api/v1/auth/refresh – trade a refresh token (single use) for a new pair
export const POST = withPublic(async ({ db, req, ip }) => {
  const { refreshToken } = await readJson(req, ZRefreshRequestSchema);
  const env = getEnv();
  return reply(
    ZTokenPairResponseSchema,
    await refreshTokenPair(db, refreshToken, { secret: env.NEXTAUTH_SECRET, refreshTokenTtlDays: env.REFRESH_TOKEN_TTL_DAYS }, { ip }),
  );
});
