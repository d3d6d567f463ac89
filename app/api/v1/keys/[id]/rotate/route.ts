import { json, parseInput, withUser } from '@/server/api/rest';
import { ZKeyIdSchema } from '@/server/api/schemas/keys';
import { keysConfig, rotateKey } from '@/server/services/keys';

// POST /api/v1/keys/{id}/rotate – issue (or hand out the waiting) successor; the old key works through its grace period
export const POST = withUser<{ id: string }>(async ({ db, user, params, ip, apiKey }) => {
  const { id } = parseInput(ZKeyIdSchema, params);
  return json(await rotateKey(db, user.id, id, keysConfig(), { ip, via: apiKey?.id === id ? 'key' : 'owner' }));
});
