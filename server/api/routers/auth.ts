import { ZRegisterRequestSchema, ZRegistrationStatusResponseSchema, ZUserResponseSchema } from '@/server/api/schemas/auth';
import { createTRPCRouter, protectedProcedure, publicProcedure } from '@/server/api/trpc';
import { authThrottleConfig, registrationMode } from '@/server/auth/limits';
import { registerUser, registrationStatus } from '@/server/services/auth/users';

export const authRouter = createTRPCRouter({
  register: publicProcedure
    .input(ZRegisterRequestSchema)
    .output(ZUserResponseSchema)
    .mutation(({ ctx, input }) => registerUser(ctx.db, input, { ip: ctx.ip, mode: registrationMode(), throttle: authThrottleConfig() })),

  /** Who may register here (CRYPTOBOT_REGISTRATION), for the register form. */
  registration: publicProcedure.output(ZRegistrationStatusResponseSchema).query(({ ctx }) => registrationStatus(ctx.db, registrationMode())),

  me: protectedProcedure.output(ZUserResponseSchema).query(({ ctx }) => ({ id: ctx.user.id, username: ctx.user.username, role: ctx.user.role })),
});
