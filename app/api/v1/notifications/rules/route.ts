import { readJson, reply, withUser } from '@/server/api/rest';
import { ZCreateNotificationRuleRequestSchema, ZNotificationRuleListResponseSchema, ZNotificationRuleResponseSchema } from '@/server/api/schemas/notifications';
import { createRule, listRules } from '@/server/services/notifications';

// GET /api/v1/notifications/rules – which kinds of event go to which channel
export const GET = withUser(async ({ db, user }) => reply(ZNotificationRuleListResponseSchema, { rules: await listRules(db, user.id) }));

// POST /api/v1/notifications/rules {channelId, kind, deploymentId?} – send a kind of event to a channel (for one deployment, or all)
export const POST = withUser(async ({ db, req, user }) => {
  const input = await readJson(req, ZCreateNotificationRuleRequestSchema);
  return reply(ZNotificationRuleResponseSchema, await createRule(db, user.id, input), 201);
});
