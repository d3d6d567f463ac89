import { parseInput, reply, searchParams, withUser } from '@/server/api/rest';
import { ZAuditListRequestSchema, ZAuditListResponseSchema } from '@/server/api/schemas/audit';
import { listAuditEvents } from '@/server/services/audit';

// GET /api/v1/audit/all?category=&before=&limit= – every user's security events (admin only)
export const GET = withUser(
  async ({ db, req, user }) =>
    reply(ZAuditListResponseSchema, await listAuditEvents(db, user, { ...parseInput(ZAuditListRequestSchema, searchParams(req)), allUsers: true })),
  { admin: true },
);
