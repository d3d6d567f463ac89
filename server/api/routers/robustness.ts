import { z } from 'zod';
import {
  ZBiasCheckResponseSchema,
  ZCreateBiasCheckRequestSchema,
  ZCreateMonteCarloRequestSchema,
  ZCreatePermutationTestRequestSchema,
  ZMonteCarloResponseSchema,
  ZSignificanceResponseSchema,
  ZCreateWalkForwardRequestSchema,
  ZWalkForwardResponseSchema,
} from '@/server/api/schemas/robustness';
import { ZId } from '@/server/api/schemas/strategies';
import { createTRPCRouter, protectedProcedure } from '@/server/api/trpc';
import { cancelBiasCheckForUser, createBiasCheck, getBiasCheckForUser } from '@/server/services/robustness/bias-checks';
import { cancelMonteCarloForUser, createMonteCarlo, getMonteCarloForUser } from '@/server/services/robustness/monte-carlo';
import { cancelWalkForwardForUser, createWalkForward, getWalkForwardForUser } from '@/server/services/robustness/walk-forwards';
import { cancelSignificanceForUser, createDeflatedSharpe, createPermutationTest, getSignificanceForUser } from '@/server/services/robustness/significance';

const ZById = z.object({ id: ZId });

/** The robustness lab (docs/robustness.md): the same operations as its REST routes. */
export const robustnessRouter = createTRPCRouter({
  biasChecks: createTRPCRouter({
    create: protectedProcedure
      .input(z.object({ strategyId: ZId }).and(ZCreateBiasCheckRequestSchema))
      .output(ZBiasCheckResponseSchema)
      .mutation(({ ctx, input }) => createBiasCheck(ctx.db, ctx.user.id, input.strategyId, { start: input.start, end: input.end })),
    get: protectedProcedure
      .input(ZById)
      .output(ZBiasCheckResponseSchema)
      .query(({ ctx, input }) => getBiasCheckForUser(ctx.db, ctx.user.id, input.id)),
    cancel: protectedProcedure
      .input(ZById)
      .output(ZBiasCheckResponseSchema)
      .mutation(({ ctx, input }) => cancelBiasCheckForUser(ctx.db, ctx.user.id, input.id)),
  }),
  monteCarlo: createTRPCRouter({
    create: protectedProcedure
      .input(z.object({ backtestId: ZId }).and(ZCreateMonteCarloRequestSchema))
      .output(ZMonteCarloResponseSchema)
      .mutation(({ ctx, input }) => {
        const { backtestId, ...request } = input;
        return createMonteCarlo(ctx.db, ctx.user.id, backtestId, request);
      }),
    get: protectedProcedure
      .input(ZById)
      .output(ZMonteCarloResponseSchema)
      .query(({ ctx, input }) => getMonteCarloForUser(ctx.db, ctx.user.id, input.id)),
    cancel: protectedProcedure
      .input(ZById)
      .output(ZMonteCarloResponseSchema)
      .mutation(({ ctx, input }) => cancelMonteCarloForUser(ctx.db, ctx.user.id, input.id)),
  }),
  significance: createTRPCRouter({
    permutationTest: protectedProcedure
      .input(z.object({ backtestId: ZId }).and(ZCreatePermutationTestRequestSchema))
      .output(ZSignificanceResponseSchema)
      .mutation(({ ctx, input }) => createPermutationTest(ctx.db, ctx.user.id, input.backtestId, { runs: input.runs, seed: input.seed })),
    deflatedSharpe: protectedProcedure
      .input(z.object({ sweepId: ZId }))
      .output(ZSignificanceResponseSchema)
      .mutation(({ ctx, input }) => createDeflatedSharpe(ctx.db, ctx.user.id, input.sweepId)),
    get: protectedProcedure
      .input(ZById)
      .output(ZSignificanceResponseSchema)
      .query(({ ctx, input }) => getSignificanceForUser(ctx.db, ctx.user.id, input.id)),
    cancel: protectedProcedure
      .input(ZById)
      .output(ZSignificanceResponseSchema)
      .mutation(({ ctx, input }) => cancelSignificanceForUser(ctx.db, ctx.user.id, input.id)),
  }),
  walkForwards: createTRPCRouter({
    create: protectedProcedure
      .input(ZCreateWalkForwardRequestSchema)
      .output(ZWalkForwardResponseSchema)
      .mutation(({ ctx, input }) => createWalkForward(ctx.db, ctx.user.id, input)),
    get: protectedProcedure
      .input(ZById)
      .output(ZWalkForwardResponseSchema)
      .query(({ ctx, input }) => getWalkForwardForUser(ctx.db, ctx.user.id, input.id)),
    cancel: protectedProcedure
      .input(ZById)
      .output(ZWalkForwardResponseSchema)
      .mutation(({ ctx, input }) => cancelWalkForwardForUser(ctx.db, ctx.user.id, input.id)),
  }),
});
