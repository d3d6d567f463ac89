import { readOptionalJson, reply, withUser } from '@/server/api/rest';
import { ZCloneScriptRequestSchema, ZScriptResponseSchema } from '@/server/api/schemas/scripts';
import { pathId } from '@/server/api/schemas/strategies';
import { cloneScriptForUser } from '@/server/services/scripts/scripts';

// POST /api/v1/scripts/{id}/clone – copy a readable version ({version?, name?}; the latest readable one by default) as a new script of your own
export const POST = withUser<{ id: string }>(async ({ db, req, user, params }) => {
  const id = pathId(params.id, 'script');
  return reply(ZScriptResponseSchema, await cloneScriptForUser(db, user.id, id, await readOptionalJson(req, ZCloneScriptRequestSchema)), 201);
});
