import { readJson, reply, withUser } from '@/server/api/rest';
import {
  ZCreatedNotificationChannelResponseSchema,
  ZCreateNotificationChannelRequestSchema,
  ZNotificationChannelListResponseSchema,
} from '@/server/api/schemas/notifications';
import { createChannel, listChannels } from '@/server/services/notifications';

// GET /api/v1/notifications/channels – the user's notification channels (secrets never included, a hint instead)
export const GET = withUser(async ({ db, user }) => reply(ZNotificationChannelListResponseSchema, { channels: await listChannels(db, user.id) }));

// POST /api/v1/notifications/channels – add a Telegram, Discord or webhook channel (secrets stored encrypted; a generated signing secret is shown once)
export const POST = withUser(async ({ db, req, user }) => {
  const input = await readJson(req, ZCreateNotificationChannelRequestSchema);
  return reply(ZCreatedNotificationChannelResponseSchema, await createChannel(db, user.id, input), 201);
});
