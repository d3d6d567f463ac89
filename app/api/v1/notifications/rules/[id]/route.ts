import { reply, withUser } from '@/server/api/rest';
import { ZNotificationDeletedResponseSchema } from '@/server/api/schemas/notifications';
import { deleteRule } from '@/server/services/notifications';

// DELETE /api/v1/notifications/rules/{id} – stop sending that kind of event to that channel
export const DELETE = withUser<{ id: string }>(async ({ db, user, params }) =>
  reply(ZNotificationDeletedResponseSchema, await deleteRule(db, user.id, params.id)),
);
