import { readJson, reply, withUser } from '@/server/api/rest';
import { ZNotificationPreviewResponseSchema, ZPreviewNotificationTemplateRequestSchema } from '@/server/api/schemas/notifications';
import { previewTemplate } from '@/server/services/notifications';

// POST /api/v1/notifications/templates/preview {kind, body} – the template rendered with sample values
export const POST = withUser(async ({ req }) =>
  reply(ZNotificationPreviewResponseSchema, previewTemplate(await readJson(req, ZPreviewNotificationTemplateRequestSchema))),
);
