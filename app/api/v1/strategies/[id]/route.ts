import { readJson, reply, withUser } from '@/server/api/rest';
import { pathId, ZStrategyResponseSchema, ZUpdateStrategyRequestSchema } from '@/server/api/schemas/strategies';
import { archiveStrategyForUser, getStrategyForUser, updateStrategyForUser } from '@/server/services/strategies/strategies';

// GET /api/v1/strategies/{id} – one strategy
export const GET = withUser<{ id: string }>(async ({ db, user, params }) =>
  reply(ZStrategyResponseSchema, await getStrategyForUser(db, user.id, pathId(params.id, 'strategy'))),
);

// PATCH /api/v1/strategies/{id} – rename, change params (merged) or market, archive/restore via status
export const PATCH = withUser<{ id: string }>(async ({ db, req, user, params }) => {
  const id = pathId(params.id, 'strategy');
  return reply(ZStrategyResponseSchema, await updateStrategyForUser(db, user.id, id, await readJson(req, ZUpdateStrategyRequestSchema)));
});

// DELETE /api/v1/strategies/{id} – archive the strategy (soft: its backtests stay; PATCH status "draft" restores it)
export const DELETE = withUser<{ id: string }>(async ({ db, user, params }) =>
  reply(ZStrategyResponseSchema, await archiveStrategyForUser(db, user.id, pathId(params.id, 'strategy'))),
);
