import { json, parseInput, readJson, searchParams, withUser } from '@/server/api/rest';
import { ZCreateSweepRequestSchema, ZListBacktestsQuerySchema } from '@/server/api/schemas/backtests';
import { createSweep, listSweepsForUser } from '@/server/services/backtests/sweeps';

// GET /api/v1/sweeps?strategyId= – the user's parameter sweeps, newest first (without results)
export const GET = withUser(async ({ db, req, user }) => {
  const query = parseInput(ZListBacktestsQuerySchema, searchParams(req));
  return json(await listSweepsForUser(db, user.id, query));
});

// POST /api/v1/sweeps – queue a parameter sweep (the whole grid as one job); 202
export const POST = withUser(async ({ db, req, user }) => {
  const input = await readJson(req, ZCreateSweepRequestSchema);
  return json(await createSweep(db, user.id, input), 202);
});
