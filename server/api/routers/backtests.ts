import { z } from 'zod';
import {
  ZBacktestEquitySchema,
  ZBacktestChartWindowSchema,
  ZChartWindowSchema,
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
import { cancelBacktestForUser, createBacktest, getBacktestEquity, getBacktestForUser, listBacktestsForUser } from '@/server/services/backtests/backtests';
import { getBacktestChartWindow } from '@/server/services/backtests/chart-window';
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

  equity: protectedProcedure
    .input(ZById)
    .output(ZBacktestEquitySchema)
    .query(({ ctx, input }) => getBacktestEquity(ctx.db, ctx.user.id, input.id)),

  /** A window of the price chart: GET /api/v1/backtests/{id}/chart */
  chart: protectedProcedure
    .input(ZBacktestChartWindowSchema)
    .output(ZChartWindowSchema)
    .query(({ ctx, input }) => getBacktestChartWindow(ctx.db, ctx.user.id, input.id, input, { completedOnly: input.completedOnly })),

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
