import { ZAuditListRequestSchema, ZAuditListResponseSchema } from '@/server/api/schemas/audit';
import { assertAllowed } from '@/server/api/rest';
import { createTRPCRouter, protectedProcedure } from '@/server/api/trpc';
import { listAuditEvents } from '@/server/services/audit';

export const auditRouter = createTRPCRouter({
  /** Newest first; users see their own events, admins may ask for everyone's. */
  list: protectedProcedure
    .input(ZAuditListRequestSchema.optional())
    .output(ZAuditListResponseSchema)
    .query(({ ctx, input }) => {
      // Everyone's events are admin-only: an admin account and, for an API key, the admin scope.
      if (input?.allUsers) assertAllowed(ctx, 'read', { admin: true });
      return listAuditEvents(ctx.db, ctx.user, input ?? {});
    }),
});
