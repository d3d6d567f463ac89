import { reply, withUser } from '@/server/api/rest';
import { ZIssuedKeyResponseSchema } from '@/server/api/schemas/keys';
import { keyActor, rotateCurrentKey } from '@/server/services/keys';
import { keysConfig } from '@/server/env';

// POST /api/v1/keys/current/rotate – with an API key: fetch its waiting successor once (or rotate it now); any key may, `read` is enough
export const POST = withUser(async (ctx) => reply(ZIssuedKeyResponseSchema, await rotateCurrentKey(ctx.db, keyActor(ctx), keysConfig(), { ip: ctx.ip })), {
  scope: 'read',
});
