import { z } from 'zod';
import { ZChangePasswordRequestSchema } from '@/server/api/schemas/account';
import { createTRPCRouter, protectedProcedure } from '@/server/api/trpc';
import { changePassword, signOutEverywhere } from '@/server/services/auth/account';

export const accountRouter = createTRPCRouter({
  /** Also signs out every session and access token (this browser signs in again with the new password). */
  changePassword: protectedProcedure
    .input(ZChangePasswordRequestSchema)
    .output(z.object({ ok: z.literal(true) }))
    .mutation(async ({ ctx, input }) => {
      await changePassword(ctx.db, ctx.user.id, input, { ip: ctx.ip });
      return { ok: true as const };
    }),

  signOutEverywhere: protectedProcedure.output(z.object({ ok: z.literal(true) })).mutation(async ({ ctx }) => {
    await signOutEverywhere(ctx.db, ctx.user.id, { ip: ctx.ip });
    return { ok: true as const };
  }),
});
