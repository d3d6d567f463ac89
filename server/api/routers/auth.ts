import { ZRegisterRequestSchema, ZUserResponseSchema } from '@/server/api/schemas/auth';
import { createTRPCRouter, protectedProcedure, publicProcedure } from '@/server/api/trpc';
import { registerUser } from '@/server/services/auth/users';

export const authRouter = createTRPCRouter({
  register: publicProcedure
    .input(ZRegisterRequestSchema)
    .output(ZUserResponseSchema)
    .mutation(({ ctx, input }) => registerUser(ctx.db, input, { ip: ctx.ip })),

  me: protectedProcedure.output(ZUserResponseSchema).query(({ ctx }) => ({ id: ctx.user.id, username: ctx.user.username, role: ctx.user.role })),
});
