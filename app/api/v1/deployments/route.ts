import { parseInput, reply, searchParams, withUser } from '@/server/api/rest';
import { ZDeploymentListResponseSchema, ZListDeploymentsRequestSchema } from '@/server/api/schemas/deployments';
import { listDeployments } from '@/server/services/deployments';

// GET /api/v1/deployments?strategyId=&accountId=&state= – the user's deployments, newest first
export const GET = withUser(async ({ db, req, user }) =>
  reply(ZDeploymentListResponseSchema, { deployments: await listDeployments(db, user.id, parseInput(ZListDeploymentsRequestSchema, searchParams(req))) }),
);
