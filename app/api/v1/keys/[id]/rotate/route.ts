import { parseInput, reply, withUser } from '@/server/api/rest';
import { ZIssuedKeyResponseSchema, ZKeyIdSchema } from '@/server/api/schemas/keys';
import { keyActor, rotateKey } from '@/server/services/keys';
import { keysConfig } from '@/server/env';

// POST /api/v1/keys/{id}/rotate – issue (or hand out the waiting) successor; the old key works through its grace period
export const POST = withUser<{ id: string }>(async (ctx) => {
  const { id } = parseInput(ZKeyIdSchema, ctx.params);
  return reply(ZIssuedKeyResponseSchema, await rotateKey(ctx.db, keyActor(ctx), id, keysConfig(), { ip: ctx.ip }));
});
