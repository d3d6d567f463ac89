import { readJson, reply, withUser } from '@/server/api/rest';
import { pathId, ZCloneStrategyRequestSchema, ZStrategyResponseSchema } from '@/server/api/schemas/strategies';
import { cloneStrategyForUser } from '@/server/services/strategies/strategies';

// POST /api/v1/strategies/{id}/clone – copy a strategy as a new draft ({name?})
export const POST = withUser<{ id: string }>(async ({ db, req, user, params }) => {
  const id = pathId(params.id, 'strategy');
  const { name } = await readJson(req, ZCloneStrategyRequestSchema);
  return reply(ZStrategyResponseSchema, await cloneStrategyForUser(db, user.id, id, name), 201);
});
