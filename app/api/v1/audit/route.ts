import { assertAllowed, parseInput, reply, searchParams, withUser } from '@/server/api/rest';
import { ZAuditListRequestSchema, ZAuditListResponseSchema } from '@/server/api/schemas/audit';
import { listAuditEvents } from '@/server/services/audit';

// GET /api/v1/audit?category=&before=&limit=&allUsers= – security events, newest first (allUsers: admin only)
export const GET = withUser(async (ctx) => {
  const query = parseInput(ZAuditListRequestSchema, searchParams(ctx.req));
  if (query.allUsers) assertAllowed(ctx, 'read', { admin: true });
  return reply(ZAuditListResponseSchema, await listAuditEvents(ctx.db, ctx.user, query));
});
