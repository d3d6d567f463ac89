import { json, parseInput, searchParams, withUser } from '@/server/api/rest';
import { ZAuditListRequestSchema } from '@/server/api/schemas/audit';
import { listAuditEvents } from '@/server/services/audit';

// GET /api/v1/audit/all?category=&before=&limit= – every user's security events (admin only)
export const GET = withUser(
  async ({ db, req, user }) => json(await listAuditEvents(db, user, { ...parseInput(ZAuditListRequestSchema, searchParams(req)), allUsers: true })),
  { admin: true },
);
