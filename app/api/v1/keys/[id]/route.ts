import { parseInput, reply, withUser } from '@/server/api/rest';
import { ZKeyIdSchema, ZKeyResponseSchema } from '@/server/api/schemas/keys';
import { getKey, keyActor, revokeKey } from '@/server/services/keys';

// GET /api/v1/keys/{id} – one of the caller's keys
export const GET = withUser<{ id: string }>(async ({ db, user, params }) => {
  const { id } = parseInput(ZKeyIdSchema, params);
  return reply(ZKeyResponseSchema, await getKey(db, user.id, id));
});

// DELETE /api/v1/keys/{id} – revoke a key at once
export const DELETE = withUser<{ id: string }>(async (ctx) => {
  const { id } = parseInput(ZKeyIdSchema, ctx.params);
  return reply(ZKeyResponseSchema, await revokeKey(ctx.db, keyActor(ctx), id, { ip: ctx.ip }));
});
