import { json, parseInput, readJson, searchParams, withUser } from '@/server/api/rest';
import { ZCreateStrategyRequestSchema, ZListStrategiesQuerySchema } from '@/server/api/schemas/strategies';
import { createStrategyForUser, listStrategiesForUser } from '@/server/services/strategies/strategies';

// GET /api/v1/strategies – the user's strategies (?includeArchived=true for archived ones too)
export const GET = withUser(async ({ db, req, user }) => {
  const query = parseInput(ZListStrategiesQuerySchema, searchParams(req));
  return json(await listStrategiesForUser(db, user.id, query));
});

// POST /api/v1/strategies – create a strategy (a draft) from a registry type and params
export const POST = withUser(async ({ db, req, user }) => json(await createStrategyForUser(db, user.id, await readJson(req, ZCreateStrategyRequestSchema)), 201));
