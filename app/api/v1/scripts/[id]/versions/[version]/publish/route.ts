import { reply, withUser } from '@/server/api/rest';
import { pathVersion, ZScriptVersionResponseSchema } from '@/server/api/schemas/scripts';
import { pathId } from '@/server/api/schemas/strategies';
import { AppError } from '@/server/core/errors';
import { publishScriptVersion } from '@/server/services/scripts/scripts';

// POST /api/v1/scripts/{id}/versions/{version}/publish – make the version readable (and clonable) by every user
export const POST = withUser<{ id: string; version: string }>(async ({ db, user, params }) => {
  const id = pathId(params.id, 'script');
  const version = pathVersion(params.version);
  if (version === null) throw AppError.notFound('script version');
  return reply(ZScriptVersionResponseSchema, await publishScriptVersion(db, user.id, id, version));
});
