import { reply, withUser } from '@/server/api/rest';
import { ZDeploymentResponseSchema } from '@/server/api/schemas/deployments';
import { pauseDeployment } from '@/server/services/deployments';

// POST /api/v1/deployments/{id}/pause – stop deciding and trading until resumed (the replay clock stops too)
export const POST = withUser<{ id: string }>(async ({ db, user, params }) => reply(ZDeploymentResponseSchema, await pauseDeployment(db, user.id, params.id)));
