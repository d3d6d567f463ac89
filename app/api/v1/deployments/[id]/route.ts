import { reply, withUser } from '@/server/api/rest';
import { ZDeploymentResponseSchema } from '@/server/api/schemas/deployments';
import { getDeployment } from '@/server/services/deployments';

// GET /api/v1/deployments/{id} – state, last bar, last decision, position and P&L of one deployment
export const GET = withUser<{ id: string }>(async ({ db, user, params }) => reply(ZDeploymentResponseSchema, await getDeployment(db, user.id, params.id)));
