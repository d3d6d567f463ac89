import { readJson, reply, withUser } from '@/server/api/rest';
import { ZSavedScriptVersionResponseSchema, ZSaveScriptVersionRequestSchema } from '@/server/api/schemas/scripts';
import { pathId } from '@/server/api/schemas/strategies';
import { addScriptVersion } from '@/server/services/scripts/scripts';

// POST /api/v1/scripts/{id}/versions – save {source} as the next version: 201 {version, type, hash, parameters, plots}, or 422 with details.diagnostics [{line, column, message}]
export const POST = withUser<{ id: string }>(async ({ db, req, user, params }) => {
  const id = pathId(params.id, 'script');
  const { source } = await readJson(req, ZSaveScriptVersionRequestSchema);
  return reply(ZSavedScriptVersionResponseSchema, await addScriptVersion(db, user.id, id, source), 201);
});
