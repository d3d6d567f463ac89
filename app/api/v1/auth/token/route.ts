import { readJson, reply, withPublic } from '@/server/api/rest';
import { ZTokenPairResponseSchema, ZTokenRequestSchema } from '@/server/api/schemas/auth';
import { authThrottleConfig } from '@/server/auth/limits';
import { getEnv } from '@/server/env';
import { issueTokenPair } from '@/server/services/auth/tokens';
import { verifyCredentials } from '@/server/services/auth/users';

// POST /api/v1/auth/token – trade a username and password for an access and a refresh token
export const POST = withPublic(async ({ db, req, ip }) => {
  const input = await readJson(req, ZTokenRequestSchema);
  const user = await verifyCredentials(db, input, { ip, throttle: authThrottleConfig() });
  const env = getEnv();
  return reply(ZTokenPairResponseSchema, await issueTokenPair(db, user, { secret: env.NEXTAUTH_SECRET, refreshTokenTtlDays: env.REFRESH_TOKEN_TTL_DAYS }));
});
