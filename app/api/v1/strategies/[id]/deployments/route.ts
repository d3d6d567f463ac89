import { readJson, reply, withUser } from '@/server/api/rest';
import { ZCreateDeploymentRequestSchema, ZDeploymentListResponseSchema, ZDeploymentResponseSchema } from '@/server/api/schemas/deployments';
import { createDeployment, listDeployments } from '@/server/services/deployments';

// GET /api/v1/strategies/{id}/deployments – the strategy's deployments, newest first
export const GET = withUser<{ id: string }>(async ({ db, user, params }) =>
  reply(ZDeploymentListResponseSchema, { deployments: await listDeployments(db, user.id, { strategyId: params.id }) }),
);

// POST /api/v1/strategies/{id}/deployments – deploy the strategy in paper or live mode (201 {id, state, ...})
export const POST = withUser<{ id: string }>(async ({ db, req, user, params }) =>
  reply(ZDeploymentResponseSchema, await createDeployment(db, user.id, params.id, await readJson(req, ZCreateDeploymentRequestSchema)), 201),
);
