import { z } from 'zod';
import {
  ZCloneStrategyRequestSchema,
  ZByIdInputSchema as ZById,
  ZCreateStrategyRequestSchema,
  ZId,
  ZListStrategiesInputSchema,
  ZStoredSeriesResponseSchema,
  ZStrategyResponseSchema,
  ZStrategyTypeResponseSchema,
  ZTopVolumePreviewInputSchema,
  ZTopVolumePreviewResponseSchema,
  ZUpdateStrategyRequestSchema,
} from '@/server/api/schemas/strategies';
import { safeText } from '@/server/core/text';
import { createTRPCRouter, protectedProcedure } from '@/server/api/trpc';
import { listStoredSeries } from '@/server/services/backtests/data-range';
import {
  archiveStrategyForUser,
  cloneStrategyForUser,
  createStrategyForUser,
  getStrategyForUser,
  listStrategiesForUser,
  getStrategyType,
  listStrategyTypes,
  updateStrategyForUser,
} from '@/server/services/strategies/strategies';
import { previewTopVolumePairList } from '@/server/services/strategies/top-volume';

export const strategiesRouter = createTRPCRouter({
  types: protectedProcedure.output(z.array(ZStrategyTypeResponseSchema)).query(() => listStrategyTypes()),

  /** One type's form: a built-in's or a readable script version's (`script:<scriptId>@<version>`). */
  type: protectedProcedure
    .input(z.object({ type: safeText().max(128) }))
    .output(ZStrategyTypeResponseSchema)
    .query(({ ctx, input }) => getStrategyType(ctx.db, ctx.user.id, input.type)),

  /** The candle series stored (to pick a market that has data, and its date range). */
  markets: protectedProcedure.output(z.array(ZStoredSeriesResponseSchema)).query(({ ctx }) => listStoredSeries(ctx.db)),

  /** What a top-volume pair list would hold now on an exchange (the form's preview before saving). */
  topVolumePreview: protectedProcedure
    .input(ZTopVolumePreviewInputSchema)
    .output(ZTopVolumePreviewResponseSchema)
    .query(({ input }) => previewTopVolumePairList(input.exchange, input.pairlist)),

  list: protectedProcedure
    .input(ZListStrategiesInputSchema.default({ includeArchived: false }))
    .output(z.array(ZStrategyResponseSchema))
    .query(({ ctx, input }) => listStrategiesForUser(ctx.db, ctx.user.id, input)),

  get: protectedProcedure
    .input(ZById)
    .output(ZStrategyResponseSchema)
    .query(({ ctx, input }) => getStrategyForUser(ctx.db, ctx.user.id, input.id)),

  create: protectedProcedure
    .input(ZCreateStrategyRequestSchema)
    .output(ZStrategyResponseSchema)
    .mutation(({ ctx, input }) => createStrategyForUser(ctx.db, ctx.user.id, input)),

  update: protectedProcedure
    .input(z.object({ id: ZId, patch: ZUpdateStrategyRequestSchema }))
    .output(ZStrategyResponseSchema)
    .mutation(({ ctx, input }) => updateStrategyForUser(ctx.db, ctx.user.id, input.id, input.patch)),

  clone: protectedProcedure
    .input(ZCloneStrategyRequestSchema.extend({ id: ZId }))
    .output(ZStrategyResponseSchema)
    .mutation(({ ctx, input }) => cloneStrategyForUser(ctx.db, ctx.user.id, input.id, input.name)),

  archive: protectedProcedure
    .input(ZById)
    .output(ZStrategyResponseSchema)
    .mutation(({ ctx, input }) => archiveStrategyForUser(ctx.db, ctx.user.id, input.id)),
});
