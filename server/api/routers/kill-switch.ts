import { assertAllowed } from '@/server/api/rest';
import {
  ZEngageKillSwitchRequestSchema,
  ZEngageKillSwitchResponseSchema,
  ZKillSwitchStateResponseSchema,
  ZReleaseKillSwitchRequestSchema,
  ZReleaseKillSwitchResponseSchema,
} from '@/server/api/schemas/kill-switch';
import { createTRPCRouter, protectedProcedure } from '@/server/api/trpc';
import { engageKillSwitch, getKillSwitchState, releaseKillSwitch } from '@/server/services/kill-switch';

/** The kill switch (docs/trading.md): the same operations as /api/v1/kill-switch. The global latch needs an admin (and, for a key, the admin scope). */
export const killSwitchRouter = createTRPCRouter({
  state: protectedProcedure.output(ZKillSwitchStateResponseSchema).query(({ ctx }) => getKillSwitchState(ctx.db, ctx.user)),
  engage: protectedProcedure
    .input(ZEngageKillSwitchRequestSchema)
    .output(ZEngageKillSwitchResponseSchema)
    .mutation(({ ctx, input }) => {
      if (input.global) assertAllowed({ user: ctx.user, scopes: ctx.scopes, authMethod: ctx.authMethod ?? 'session' }, 'admin', { admin: true });
      return engageKillSwitch(ctx.db, ctx.user, input);
    }),
  release: protectedProcedure
    .input(ZReleaseKillSwitchRequestSchema)
    .output(ZReleaseKillSwitchResponseSchema)
    .mutation(({ ctx, input }) => {
      if (input.global) assertAllowed({ user: ctx.user, scopes: ctx.scopes, authMethod: ctx.authMethod ?? 'session' }, 'admin', { admin: true });
      return releaseKillSwitch(ctx.db, ctx.user, input);
    }),
});
