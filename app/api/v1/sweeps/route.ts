import { parseInput, readJson, reply, searchParams, withUser } from '@/server/api/rest';
import { ZCreateSweepRequestSchema, ZListBacktestsQuerySchema, ZSweepListResponseSchema, ZSweepSummarySchema } from '@/server/api/schemas/backtests';
import { createSweep, listSweepsForUser } from '@/server/services/backtests/sweeps';

// GET /api/v1/sweeps?strategyId= – the user's parameter sweeps, newest first (without results)
export const GET = withUser(async ({ db, req, user }) => {
  const query = parseInput(ZListBacktestsQuerySchema, searchParams(req));
  return reply(ZSweepListResponseSchema, await listSweepsForUser(db, user.id, query));
});

// POST /api/v1/sweeps – queue a parameter sweep (the whole grid as one job); 202
export const POST = withUser(async ({ db, req, user }) => {
  const input = await readJson(req, ZCreateSweepRequestSchema);
  return reply(ZSweepSummarySchema, await createSweep(db, user.id, input), 202);
});
