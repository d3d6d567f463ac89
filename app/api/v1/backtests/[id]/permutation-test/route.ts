import { readOptionalJson, reply, withUser } from '@/server/api/rest';
import { ZCreatePermutationTestRequestSchema, ZSignificanceResponseSchema } from '@/server/api/schemas/robustness';
import { pathId } from '@/server/api/schemas/strategies';
import { createPermutationTest } from '@/server/services/robustness/significance';

// POST /api/v1/backtests/{id}/permutation-test – queue a permutation test of the backtest's mean trade return; 202
export const POST = withUser<{ id: string }>(async ({ db, req, user, params }) => {
  const input = await readOptionalJson(req, ZCreatePermutationTestRequestSchema);
  return reply(ZSignificanceResponseSchema, await createPermutationTest(db, user.id, pathId(params.id, 'backtest'), input), 202);
});
