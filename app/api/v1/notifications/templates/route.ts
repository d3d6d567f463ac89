import { reply, withUser } from '@/server/api/rest';
import { ZNotificationTemplateListResponseSchema } from '@/server/api/schemas/notifications';
import { listTemplates } from '@/server/services/notifications';

// GET /api/v1/notifications/templates – the message template of each kind (yours or the default) and its placeholders
export const GET = withUser(async ({ db, user }) => reply(ZNotificationTemplateListResponseSchema, { templates: await listTemplates(db, user.id) }));
