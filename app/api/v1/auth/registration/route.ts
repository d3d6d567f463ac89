import { json, withPublic } from '@/server/api/rest';
import { registrationMode } from '@/server/auth/limits';
import { registrationStatus } from '@/server/services/auth/users';

// GET /api/v1/auth/registration – who may register here: {mode: open|invite|closed, firstAccount}
export const GET = withPublic(async ({ db }) => json(await registrationStatus(db, registrationMode())));
