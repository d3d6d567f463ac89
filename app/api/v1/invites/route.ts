import { readJson, reply, withUser } from '@/server/api/rest';
import { ZCreateInviteRequestSchema, ZInviteListResponseSchema, ZIssuedInviteResponseSchema } from '@/server/api/schemas/invites';
import { registrationMode } from '@/server/auth/limits';
import { createInvite, listInvites } from '@/server/services/auth/invites';

// GET /api/v1/invites – every invite with its state (admins only), and the server's registration mode
export const GET = withUser(async ({ db }) => reply(ZInviteListResponseSchema, { invites: await listInvites(db), mode: registrationMode() }), { admin: true });

// POST /api/v1/invites – create a single-use invite {expiresInHours, note?}; the response is the only time `code` appears
export const POST = withUser(
  async ({ db, req, user, ip }) => {
    const input = await readJson(req, ZCreateInviteRequestSchema);
    return reply(ZIssuedInviteResponseSchema, await createInvite(db, { id: user.id }, input, { ip }), 201);
  },
  { admin: true },
);
