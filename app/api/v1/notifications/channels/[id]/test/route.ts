import { reply, withUser } from '@/server/api/rest';
import { ZNotificationTestResponseSchema } from '@/server/api/schemas/notifications';
import { sendTestMessage } from '@/server/services/notifications';

// POST /api/v1/notifications/channels/{id}/test – send a test message now: {ok, httpStatus, error, deliveryId}
export const POST = withUser<{ id: string }>(async ({ db, user, params }) =>
  reply(ZNotificationTestResponseSchema, await sendTestMessage(db, user.id, params.id)),
);
