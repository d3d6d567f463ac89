import { reply, withUser } from '@/server/api/rest';
import { ZScriptTemplateListResponseSchema } from '@/server/api/schemas/scripts';
import { listScriptTemplates } from '@/server/services/scripts/scripts';

// GET /api/v1/scripts/templates – each built-in strategy written as a script: [{type, source}]
export const GET = withUser(async () => reply(ZScriptTemplateListResponseSchema, [...listScriptTemplates()]));
