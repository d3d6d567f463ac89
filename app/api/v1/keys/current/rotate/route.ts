import { AppError } from '@/server/core/errors';
import { json, withUser } from '@/server/api/rest';
import { keysConfig, rotateKey } from '@/server/services/keys';

// POST /api/v1/keys/current/rotate – with an API key: fetch its waiting successor once (or rotate it now); needs only `read`
export const POST = withUser(
  async ({ db, user, apiKey, ip }) => {
    if (!apiKey) throw new AppError('BAD_REQUEST', 'call this with the API key to rotate (Authorization: Bearer cb_…)');
    return json(await rotateKey(db, user.id, apiKey.id, keysConfig(), { ip, via: 'key' }));
  },
  { scope: 'read' },
);
