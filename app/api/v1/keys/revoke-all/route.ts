import { readJson, reply, withUser } from '@/server/api/rest';
import { ZRevokeAllRequestSchema, ZRevokeAllResponseSchema } from '@/server/api/schemas/keys';
import { keyActor, revokeEverything } from '@/server/services/keys';

// POST /api/v1/keys/revoke-all – emergency: revoke every key and session of the caller {reason, allUsers? (admins)}
export const POST = withUser(async (ctx) =>
  reply(ZRevokeAllResponseSchema, await revokeEverything(ctx.db, keyActor(ctx), await readJson(ctx.req, ZRevokeAllRequestSchema), { ip: ctx.ip })),
);
