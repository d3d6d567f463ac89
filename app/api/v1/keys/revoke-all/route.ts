import { json, readJson, withUser } from '@/server/api/rest';
import { ZRevokeAllRequestSchema } from '@/server/api/schemas/keys';
import { revokeEverything } from '@/server/services/keys';

// POST /api/v1/keys/revoke-all – emergency: revoke every key and session of the caller {reason, allUsers? (admins)}
export const POST = withUser(async ({ db, req, user, scopes, ip }) => {
  const input = await readJson(req, ZRevokeAllRequestSchema);
  return json(await revokeEverything(db, { ...user, scopes }, input, { ip }));
});
