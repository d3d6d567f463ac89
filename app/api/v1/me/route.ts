import { json, withUser } from '@/server/api/rest';

// GET /api/v1/me – who the token or session belongs to
export const GET = withUser(async ({ user }) => json({ id: user.id, username: user.username, role: user.role }));
