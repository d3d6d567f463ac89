import { readJson, reply, withUser } from '@/server/api/rest';
import { ZBiasCheckResponseSchema, ZCreateBiasCheckRequestSchema } from '@/server/api/schemas/robustness';
import { pathId } from '@/server/api/schemas/strategies';
import { createBiasCheck } from '@/server/services/robustness/bias-checks';

// POST /api/v1/strategies/{id}/bias-check – queue look-ahead and recursive checks of the strategy over {start, end}; 202
export const POST = withUser<{ id: string }>(async ({ db, req, user, params }) => {
  const input = await readJson(req, ZCreateBiasCheckRequestSchema);
  return reply(ZBiasCheckResponseSchema, await createBiasCheck(db, user.id, pathId(params.id, 'strategy'), input), 202);
});
