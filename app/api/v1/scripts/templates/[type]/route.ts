import { reply, withUser } from '@/server/api/rest';
import { ZScriptTemplateResponseSchema } from '@/server/api/schemas/scripts';
import { getScriptTemplate } from '@/server/services/scripts/scripts';

// GET /api/v1/scripts/templates/{type} – one built-in strategy written as a script: {type, source}
export const GET = withUser<{ type: string }>(async ({ params }) => reply(ZScriptTemplateResponseSchema, getScriptTemplate(params.type)));
