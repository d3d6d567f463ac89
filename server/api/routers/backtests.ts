import { z } from 'zod';
import {
  ZBacktestChartSchema,
  ZBacktestResponseSchema,
  ZBacktestSummarySchema,
  ZCreateBacktestRequestSchema,
  ZCreateSweepRequestSchema,
  ZListRunsInputSchema,
  ZSweepResponseSchema,
  ZSweepSummarySchema,
} from '@/server/api/schemas/backtests';
import { ZByIdInputSchema as ZById } from '@/server/api/schemas/strategies';
import { createTRPCRouter, protectedProcedure } from '@/server/api/trpc';
import { cancelBacktestForUser, createBacktest, getBacktestChart, getBacktestForUser, listBacktestsForUser } from '@/server/services/backtests/backtests';
import { cancelSweepForUser, createSweep, getSweepForUser, listSweepsForUser } from '@/server/services/backtests/sweeps';

const ZListInput = ZListRunsInputSchema.default({});

export const backtestsRouter = createTRPCRouter({
  create: protectedProcedure
    .input(ZCreateBacktestRequestSchema)
    .output(ZBacktestSummarySchema)
    .mutation(({ ctx, input }) => createBacktest(ctx.db, ctx.user.id, input)),

  list: protectedProcedure
    .input(ZListInput)
    .output(z.array(ZBacktestSummarySchema))
    .query(({ ctx, input }) => listBacktestsForUser(ctx.db, ctx.user.id, input)),

  get: protectedProcedure
    .input(ZById)
    .output(ZBacktestResponseSchema)
    .query(({ ctx, input }) => getBacktestForUser(ctx.db, ctx.user.id, input.id)),

  chart: protectedProcedure
    .input(ZById)
    .output(ZBacktestChartSchema)
    .query(({ ctx, input }) => getBacktestChart(ctx.db, ctx.user.id, input.id)),

  cancel: protectedProcedure
    .input(ZById)
    .output(ZBacktestSummarySchema)
    .mutation(({ ctx, input }) => cancelBacktestForUser(ctx.db, ctx.user.id, input.id)),

  sweeps: createTRPCRouter({
    create: protectedProcedure
      .input(ZCreateSweepRequestSchema)
      .output(ZSweepSummarySchema)
      .mutation(({ ctx, input }) => createSweep(ctx.db, ctx.user.id, input)),
    list: protectedProcedure
      .input(ZListInput)
      .output(z.array(ZSweepSummarySchema))
      .query(({ ctx, input }) => listSweepsForUser(ctx.db, ctx.user.id, input)),
    get: protectedProcedure
      .input(ZById)
      .output(ZSweepResponseSchema)
      .query(({ ctx, input }) => getSweepForUser(ctx.db, ctx.user.id, input.id)),
    cancel: protectedProcedure
      .input(ZById)
      .output(ZSweepSummarySchema)
      .mutation(({ ctx, input }) => cancelSweepForUser(ctx.db, ctx.user.id, input.id)),
  }),
});
