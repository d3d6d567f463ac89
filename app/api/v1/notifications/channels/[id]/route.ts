import { readJson, reply, withUser } from '@/server/api/rest';
import {
  ZNotificationChannelResponseSchema,
  ZNotificationDeletedResponseSchema,
  ZUpdateNotificationChannelRequestSchema,
} from '@/server/api/schemas/notifications';
import { deleteChannel, updateChannel } from '@/server/services/notifications';

// PATCH /api/v1/notifications/channels/{id} – rename, enable or disable a channel
export const PATCH = withUser<{ id: string }>(async ({ db, req, user, params }) => {
  const input = await readJson(req, ZUpdateNotificationChannelRequestSchema);
  return reply(ZNotificationChannelResponseSchema, await updateChannel(db, user.id, params.id, input));
});

// DELETE /api/v1/notifications/channels/{id} – delete a channel with its rules and deliveries
export const DELETE = withUser<{ id: string }>(async ({ db, user, params }) =>
  reply(ZNotificationDeletedResponseSchema, await deleteChannel(db, user.id, params.id)),
);
