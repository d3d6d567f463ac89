import { readJson, reply, withUser } from '@/server/api/rest';
import { ZCreateWalkForwardRequestSchema, ZWalkForwardResponseSchema } from '@/server/api/schemas/robustness';
import { createWalkForward } from '@/server/services/robustness/walk-forwards';

// POST /api/v1/walk-forwards – queue a walk-forward optimization (one job per fold); 202
export const POST = withUser(async ({ db, req, user }) => {
  const input = await readJson(req, ZCreateWalkForwardRequestSchema);
  return reply(ZWalkForwardResponseSchema, await createWalkForward(db, user.id, input), 202);
});
