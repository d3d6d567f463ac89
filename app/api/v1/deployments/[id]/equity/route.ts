import { reply, withUser } from '@/server/api/rest';
import { ZDeploymentEquityResponseSchema } from '@/server/api/schemas/deployments';
import { deploymentEquityCurve } from '@/server/services/deployments';

// GET /api/v1/deployments/{id}/equity – the deployment's equity curve over feed time: {currency, stepSeconds, points: [{time, equity, source}]}
export const GET = withUser<{ id: string }>(async ({ db, user, params }) =>
  reply(ZDeploymentEquityResponseSchema, await deploymentEquityCurve(db, user.id, params.id)),
);
