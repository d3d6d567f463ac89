import { reply, withUser } from '@/server/api/rest';
import { ZDeploymentResponseSchema } from '@/server/api/schemas/deployments';
import { resumeDeployment } from '@/server/services/deployments';

// POST /api/v1/deployments/{id}/resume – a paused deployment runs again from where it stopped
export const POST = withUser<{ id: string }>(async ({ db, user, params }) => reply(ZDeploymentResponseSchema, await resumeDeployment(db, user.id, params.id)));
