import { reply, withUser } from '@/server/api/rest';
import { ZBiasCheckResponseSchema } from '@/server/api/schemas/robustness';
import { pathId } from '@/server/api/schemas/strategies';
import { cancelBiasCheckForUser, getBiasCheckForUser } from '@/server/services/robustness/bias-checks';

// GET /api/v1/bias-checks/{id} – status, progress, and once completed the look-ahead and recursive findings
export const GET = withUser<{ id: string }>(async ({ db, user, params }) =>
  reply(ZBiasCheckResponseSchema, await getBiasCheckForUser(db, user.id, pathId(params.id, 'bias check'))),
);

// DELETE /api/v1/bias-checks/{id} – cancel a queued or running bias check
export const DELETE = withUser<{ id: string }>(async ({ db, user, params }) =>
  reply(ZBiasCheckResponseSchema, await cancelBiasCheckForUser(db, user.id, pathId(params.id, 'bias check'))),
);
