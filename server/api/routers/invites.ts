import {
  ZCreateInviteRequestSchema,
  ZInviteIdSchema,
  ZInviteListResponseSchema,
  ZInviteResponseSchema,
  ZIssuedInviteResponseSchema,
} from '@/server/api/schemas/invites';
import { adminProcedure, createTRPCRouter } from '@/server/api/trpc';
import { registrationMode } from '@/server/auth/limits';
import { createInvite, listInvites, revokeInvite } from '@/server/services/auth/invites';

/** Invitations to register (admins only); the same schemas and services as /api/v1/invites. */
export const invitesRouter = createTRPCRouter({
  list: adminProcedure.output(ZInviteListResponseSchema).query(async ({ ctx }) => ({ invites: await listInvites(ctx.db), mode: registrationMode() })),

  create: adminProcedure
    .input(ZCreateInviteRequestSchema)
    .output(ZIssuedInviteResponseSchema)
    .mutation(({ ctx, input }) => createInvite(ctx.db, { id: ctx.user.id }, input, { ip: ctx.ip })),

  revoke: adminProcedure
    .input(ZInviteIdSchema)
    .output(ZInviteResponseSchema)
    .mutation(({ ctx, input }) => revokeInvite(ctx.db, { id: ctx.user.id }, input.id, { ip: ctx.ip })),
});
