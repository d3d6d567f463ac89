import { reply, withUser } from '@/server/api/rest';
import { ZMonteCarloResponseSchema } from '@/server/api/schemas/robustness';
import { pathId } from '@/server/api/schemas/strategies';
import { cancelMonteCarloForUser, getMonteCarloForUser } from '@/server/services/robustness/monte-carlo';

// GET /api/v1/monte-carlo/{id} – status, progress, and once completed percentiles, bands, distributions and ruin probability
export const GET = withUser<{ id: string }>(async ({ db, user, params }) =>
  reply(ZMonteCarloResponseSchema, await getMonteCarloForUser(db, user.id, pathId(params.id, 'Monte Carlo study'))),
);

// DELETE /api/v1/monte-carlo/{id} – cancel a queued or running Monte Carlo study
export const DELETE = withUser<{ id: string }>(async ({ db, user, params }) =>
  reply(ZMonteCarloResponseSchema, await cancelMonteCarloForUser(db, user.id, pathId(params.id, 'Monte Carlo study'))),
);
