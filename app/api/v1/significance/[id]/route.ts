import { reply, withUser } from '@/server/api/rest';
import { ZSignificanceResponseSchema } from '@/server/api/schemas/robustness';
import { pathId } from '@/server/api/schemas/strategies';
import { cancelSignificanceForUser, getSignificanceForUser } from '@/server/services/robustness/significance';

// GET /api/v1/significance/{id} – status, progress, and once completed the p-value or the deflated Sharpe ratio
export const GET = withUser<{ id: string }>(async ({ db, user, params }) =>
  reply(ZSignificanceResponseSchema, await getSignificanceForUser(db, user.id, pathId(params.id, 'significance test'))),
);

// DELETE /api/v1/significance/{id} – cancel a queued or running test
export const DELETE = withUser<{ id: string }>(async ({ db, user, params }) =>
  reply(ZSignificanceResponseSchema, await cancelSignificanceForUser(db, user.id, pathId(params.id, 'significance test'))),
);
