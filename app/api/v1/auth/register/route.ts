import { readJson, reply, withPublic } from '@/server/api/rest';
import { ZRegisteredUserResponseSchema, ZRegisterRequestSchema } from '@/server/api/schemas/auth';
import { authThrottleConfig, registrationMode } from '@/server/auth/limits';
import { registerUser } from '@/server/services/auth/users';

// POST /api/v1/auth/register – create an account (the first one on a database is an admin); CRYPTOBOT_REGISTRATION decides who else may
export const POST = withPublic(async ({ db, req, ip }) => {
  const input = await readJson(req, ZRegisterRequestSchema);
  const user = await registerUser(db, input, { ip, mode: registrationMode(), throttle: authThrottleConfig() });
  return reply(ZRegisteredUserResponseSchema, { id: user.id, username: user.username }, 201);
});
