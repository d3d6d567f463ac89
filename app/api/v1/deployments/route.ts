import { json, parseInput, searchParams, withUser } from '@/server/api/rest';
import { ZListDeploymentsRequestSchema } from '@/server/api/schemas/deployments';
import { listDeployments } from '@/server/services/deployments';

// GET /api/v1/deployments?strategyId=&accountId=&state= – the user's deployments, newest first
export const GET = withUser(async ({ db, req, user }) => json({ deployments: await listDeployments(db, user.id, parseInput(ZListDeploymentsRequestSchema, searchParams(req))) }));
