import { reply, withUser } from '@/server/api/rest';
import { ZWalkForwardResponseSchema } from '@/server/api/schemas/robustness';
import { pathId } from '@/server/api/schemas/strategies';
import { cancelWalkForwardForUser, getWalkForwardForUser } from '@/server/services/robustness/walk-forwards';

// GET /api/v1/walk-forwards/{id} – status, progress over every fold, each fold's windows, chosen params and metrics, and once completed the stitched out-of-sample result
export const GET = withUser<{ id: string }>(async ({ db, user, params }) =>
  reply(ZWalkForwardResponseSchema, await getWalkForwardForUser(db, user.id, pathId(params.id, 'walk-forward'))),
);

// DELETE /api/v1/walk-forwards/{id} – cancel a queued or running walk-forward (every fold's job)
export const DELETE = withUser<{ id: string }>(async ({ db, user, params }) =>
  reply(ZWalkForwardResponseSchema, await cancelWalkForwardForUser(db, user.id, pathId(params.id, 'walk-forward'))),
);
