import { readOptionalJson, reply, withUser } from '@/server/api/rest';
import { ZStopDeploymentRequestSchema, ZStopDeploymentResponseSchema } from '@/server/api/schemas/deployments';
import { stopDeployment } from '@/server/services/deployments';

// POST /api/v1/deployments/{id}/stop {closePosition?} – cancels its open orders and, if asked, sells its position
export const POST = withUser<{ id: string }>(async ({ db, req, user, params }) =>
  reply(ZStopDeploymentResponseSchema, await stopDeployment(db, user.id, params.id, await readOptionalJson(req, ZStopDeploymentRequestSchema))),
);
