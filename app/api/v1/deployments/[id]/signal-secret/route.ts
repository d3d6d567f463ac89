import { reply, withUser } from '@/server/api/rest';
import { ZSignalSecretResponseSchema } from '@/server/api/schemas/signals';
import { rotateSignalSecret } from '@/server/services/signals';

// POST /api/v1/deployments/{id}/signal-secret – make or rotate the signal webhook's secret (shown once; the old one stops working)
export const POST = withUser<{ id: string }>(async ({ db, user, params }) =>
  reply(ZSignalSecretResponseSchema, await rotateSignalSecret(db, user.id, params.id), 201),
);
