import { parseInput, readJson, reply, searchParams, withUser } from '@/server/api/rest';
import { ZCreateScriptRequestSchema, ZListScriptsQuerySchema, ZScriptListResponseSchema, ZScriptResponseSchema } from '@/server/api/schemas/scripts';
import { createScriptForUser, listScriptsForUser } from '@/server/services/scripts/scripts';

// GET /api/v1/scripts – the user's scripts (?published=true: every user's scripts with a published version)
export const GET = withUser(async ({ db, req, user }) =>
  reply(ZScriptListResponseSchema, await listScriptsForUser(db, user.id, parseInput(ZListScriptsQuerySchema, searchParams(req)))),
);

// POST /api/v1/scripts – create a script ({name}); its versions are saved with POST /api/v1/scripts/{id}/versions
export const POST = withUser(async ({ db, req, user }) =>
  reply(ZScriptResponseSchema, await createScriptForUser(db, user.id, await readJson(req, ZCreateScriptRequestSchema)), 201),
);
