import { parseInput, readJson, reply, withUser } from '@/server/api/rest';
import { ZNotificationKind, ZNotificationTemplateResponseSchema, ZSetNotificationTemplateBodySchema } from '@/server/api/schemas/notifications';
import { resetTemplate, setTemplate } from '@/server/services/notifications';

// PUT /api/v1/notifications/templates/{kind} {body} – set the kind's message template ({{placeholders}} checked)
export const PUT = withUser<{ kind: string }>(async ({ db, req, user, params }) => {
  const kind = parseInput(ZNotificationKind, params.kind, 'kind');
  const input = await readJson(req, ZSetNotificationTemplateBodySchema);
  return reply(ZNotificationTemplateResponseSchema, await setTemplate(db, user.id, { kind, body: input.body }));
});

// DELETE /api/v1/notifications/templates/{kind} – back to the default template
export const DELETE = withUser<{ kind: string }>(async ({ db, user, params }) =>
  reply(ZNotificationTemplateResponseSchema, await resetTemplate(db, user.id, parseInput(ZNotificationKind, params.kind, 'kind'))),
);
