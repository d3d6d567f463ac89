import { reply, withUser } from '@/server/api/rest';
import { ZUserResponseSchema } from '@/server/api/schemas/auth';

// GET /api/v1/me – who the token or session belongs to
export const GET = withUser(async ({ user }) => reply(ZUserResponseSchema, { id: user.id, username: user.username, role: user.role }));
