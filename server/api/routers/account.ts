import { z } from 'zod';
import { ZChangePasswordRequestSchema, ZTimeZoneSettingRequestSchema } from '@/server/api/schemas/account';
import { createTRPCRouter, protectedProcedure } from '@/server/api/trpc';
import { changePassword, setTimeZone, signOutEverywhere } from '@/server/services/auth/account';

export const accountRouter = createTRPCRouter({
  /** Also signs out every session and access token (this browser signs in again with the new password). */
  changePassword: protectedProcedure
    .input(ZChangePasswordRequestSchema)
    .output(z.object({ ok: z.literal(true) }))
    .mutation(async ({ ctx, input }) => {
      await changePassword(ctx.db, ctx.user.id, input, { ip: ctx.ip });
      return { ok: true as const };
    }),

  /** The zone every time on screen is shown in: 'UTC' (default) or the user's local IANA zone. */
  setTimeZone: protectedProcedure
    .input(ZTimeZoneSettingRequestSchema)
    .output(z.object({ timeZone: z.string() }))
    .mutation(async ({ ctx, input }) => ({ timeZone: await setTimeZone(ctx.db, ctx.user.id, input.timeZone) })),

  signOutEverywhere: protectedProcedure.output(z.object({ ok: z.literal(true) })).mutation(async ({ ctx }) => {
    await signOutEverywhere(ctx.db, ctx.user.id, { ip: ctx.ip });
    return { ok: true as const };
  }),
});
