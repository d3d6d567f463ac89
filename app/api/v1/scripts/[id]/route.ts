import { reply, withUser } from '@/server/api/rest';
import { ZScriptResponseSchema } from '@/server/api/schemas/scripts';
import { pathId } from '@/server/api/schemas/strategies';
import { getScriptForUser } from '@/server/services/scripts/scripts';

// GET /api/v1/scripts/{id} – one script with its versions (another user's: its published versions only)
export const GET = withUser<{ id: string }>(async ({ db, user, params }) =>
  reply(ZScriptResponseSchema, await getScriptForUser(db, user.id, pathId(params.id, 'script'))),
);
