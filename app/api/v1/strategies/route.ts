import { parseInput, readJson, reply, searchParams, withUser } from '@/server/api/rest';
import {
  ZCreateStrategyRequestSchema,
  ZListStrategiesQuerySchema,
  ZStrategyListResponseSchema,
  ZStrategyResponseSchema,
} from '@/server/api/schemas/strategies';
import { createStrategyForUser, listStrategiesForUser } from '@/server/services/strategies/strategies';

// GET /api/v1/strategies – the user's strategies (?includeArchived=true for archived ones too)
export const GET = withUser(async ({ db, req, user }) => {
  const query = parseInput(ZListStrategiesQuerySchema, searchParams(req));
  return reply(ZStrategyListResponseSchema, await listStrategiesForUser(db, user.id, query));
});

// POST /api/v1/strategies – create a strategy (a draft) from a registry type and params
export const POST = withUser(async ({ db, req, user }) =>
  reply(ZStrategyResponseSchema, await createStrategyForUser(db, user.id, await readJson(req, ZCreateStrategyRequestSchema)), 201),
);
