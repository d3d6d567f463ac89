import { reply, withPublic } from '@/server/api/rest';
import { ZRegistrationStatusResponseSchema } from '@/server/api/schemas/auth';
import { registrationMode } from '@/server/auth/limits';
import { registrationStatus } from '@/server/services/auth/users';

// GET /api/v1/auth/registration – who may register here: {mode: open|invite|closed, firstAccount}
export const GET = withPublic(async ({ db }) => reply(ZRegistrationStatusResponseSchema, await registrationStatus(db, registrationMode())));
