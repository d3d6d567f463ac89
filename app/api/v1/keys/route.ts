import { readJson, reply, withUser } from '@/server/api/rest';
import { ZCreateKeyRequestSchema, ZIssuedKeyResponseSchema, ZKeyListResponseSchema } from '@/server/api/schemas/keys';
import { createKey, keyActor, listKeys } from '@/server/services/keys';

// GET /api/v1/keys – the caller's API keys (never their secrets)
export const GET = withUser(async ({ db, user }) => reply(ZKeyListResponseSchema, await listKeys(db, user.id)));

// POST /api/v1/keys – create a key {name, scopes, expiresInDays?}; the response is the only time `key` appears
export const POST = withUser(async (ctx) =>
  reply(ZIssuedKeyResponseSchema, await createKey(ctx.db, keyActor(ctx), await readJson(ctx.req, ZCreateKeyRequestSchema), { ip: ctx.ip }), 201),
);
