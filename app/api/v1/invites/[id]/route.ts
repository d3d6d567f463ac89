import { parseInput, reply, withUser } from '@/server/api/rest';
import { ZInviteIdSchema, ZInviteResponseSchema } from '@/server/api/schemas/invites';
import { revokeInvite } from '@/server/services/auth/invites';

// DELETE /api/v1/invites/{id} – revoke an unused invite (admins only)
export const DELETE = withUser<{ id: string }>(
  async ({ db, user, params, ip }) => {
    const { id } = parseInput(ZInviteIdSchema, params);
    return reply(ZInviteResponseSchema, await revokeInvite(db, { id: user.id }, id, { ip }));
  },
  { admin: true },
);
