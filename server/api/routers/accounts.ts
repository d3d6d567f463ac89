import { z } from 'zod';
import {
  ZAccountBalanceResponseSchema,
  ZAccountIdSchema,
  ZAccountResponseSchema,
  ZConnectionTestResponseSchema,
  ZCreateAccountRequestSchema,
  ZExchangeOptionsResponseSchema,
  ZUpdateAccountRequestSchema,
} from '@/server/api/schemas/accounts';
import { createTRPCRouter, protectedProcedure } from '@/server/api/trpc';
import {
  accountExchangeOptions,
  createAccount,
  deleteAccount,
  getAccount,
  getAccountBalance,
  listAccounts,
  testAccountConnection,
  updateAccount,
} from '@/server/services/accounts';

export const accountsRouter = createTRPCRouter({
  exchanges: protectedProcedure.output(ZExchangeOptionsResponseSchema).query(() => accountExchangeOptions()),
  list: protectedProcedure.output(z.array(ZAccountResponseSchema)).query(({ ctx }) => listAccounts(ctx.db, ctx.user.id)),
  get: protectedProcedure
    .input(ZAccountIdSchema)
    .output(ZAccountResponseSchema)
    .query(({ ctx, input }) => getAccount(ctx.db, ctx.user.id, input.id)),
  create: protectedProcedure
    .input(ZCreateAccountRequestSchema)
    .output(ZAccountResponseSchema)
    .mutation(({ ctx, input }) => createAccount(ctx.db, ctx.user.id, input, { ip: ctx.ip })),
  update: protectedProcedure
    .input(ZAccountIdSchema.extend({ changes: ZUpdateAccountRequestSchema }))
    .output(ZAccountResponseSchema)
    .mutation(({ ctx, input }) => updateAccount(ctx.db, ctx.user.id, input.id, input.changes, { ip: ctx.ip })),
  delete: protectedProcedure
    .input(ZAccountIdSchema)
    .output(z.object({ id: z.string(), deleted: z.literal(true) }))
    .mutation(({ ctx, input }) => deleteAccount(ctx.db, ctx.user.id, input.id, { ip: ctx.ip })),
  balance: protectedProcedure
    .input(ZAccountIdSchema)
    .output(ZAccountBalanceResponseSchema)
    .query(({ ctx, input }) => getAccountBalance(ctx.db, ctx.user.id, input.id)),
  test: protectedProcedure
    .input(ZAccountIdSchema)
    .output(ZConnectionTestResponseSchema)
    .mutation(({ ctx, input }) => testAccountConnection(ctx.db, ctx.user.id, input.id)),
});
