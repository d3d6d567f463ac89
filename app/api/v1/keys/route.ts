import { json, readJson, withUser } from '@/server/api/rest';
import { ZCreateKeyRequestSchema } from '@/server/api/schemas/keys';
import { createKey, listKeys } from '@/server/services/keys';

// GET /api/v1/keys – the caller's API keys (never their secrets)
export const GET = withUser(async ({ db, user }) => json(await listKeys(db, user.id)));

// POST /api/v1/keys – create a key {name, scopes, expiresInDays?}; the response is the only time `key` appears
export const POST = withUser(async ({ db, req, user, scopes, ip }) => {
  const input = await readJson(req, ZCreateKeyRequestSchema);
  return json(await createKey(db, { id: user.id, role: user.role, scopes }, input, { ip }), 201);
});
