import { z } from 'zod';
import {
  ZCreatedNotificationChannelResponseSchema,
  ZCreateNotificationChannelRequestSchema,
  ZCreateNotificationRuleRequestSchema,
  ZIdRequestSchema,
  ZListNotificationDeliveriesRequestSchema,
  ZNotificationChannelListResponseSchema,
  ZNotificationChannelResponseSchema,
  ZNotificationDeletedResponseSchema,
  ZNotificationDeliveryListResponseSchema,
  ZNotificationKind,
  ZNotificationPreviewResponseSchema,
  ZNotificationRuleListResponseSchema,
  ZNotificationRuleResponseSchema,
  ZNotificationTemplateListResponseSchema,
  ZNotificationTemplateResponseSchema,
  ZNotificationTestResponseSchema,
  ZPreviewNotificationTemplateRequestSchema,
  ZSetNotificationTemplateRequestSchema,
  ZUpdateNotificationChannelRequestSchema,
} from '@/server/api/schemas/notifications';
import { createTRPCRouter, protectedProcedure } from '@/server/api/trpc';
import {
  createChannel,
  createRule,
  deleteChannel,
  deleteRule,
  listChannels,
  listDeliveries,
  listRules,
  listTemplates,
  previewTemplate,
  resetTemplate,
  sendTestMessage,
  setTemplate,
  updateChannel,
} from '@/server/services/notifications';

/** Notification channels, rules, templates and deliveries (docs/notifications.md): the same operations as /api/v1/notifications. */
export const notificationsRouter = createTRPCRouter({
  channels: protectedProcedure.output(ZNotificationChannelListResponseSchema).query(async ({ ctx }) => ({ channels: await listChannels(ctx.db, ctx.user.id) })),
  createChannel: protectedProcedure
    .input(ZCreateNotificationChannelRequestSchema)
    .output(ZCreatedNotificationChannelResponseSchema)
    .mutation(({ ctx, input }) => createChannel(ctx.db, ctx.user.id, input)),
  updateChannel: protectedProcedure
    .input(ZUpdateNotificationChannelRequestSchema.extend({ id: z.uuid({ error: 'must be an id (uuid)' }) }))
    .output(ZNotificationChannelResponseSchema)
    .mutation(({ ctx, input: { id, ...changes } }) => updateChannel(ctx.db, ctx.user.id, id, changes)),
  deleteChannel: protectedProcedure
    .input(ZIdRequestSchema)
    .output(ZNotificationDeletedResponseSchema)
    .mutation(({ ctx, input }) => deleteChannel(ctx.db, ctx.user.id, input.id)),
  sendTest: protectedProcedure
    .input(ZIdRequestSchema)
    .output(ZNotificationTestResponseSchema)
    .mutation(({ ctx, input }) => sendTestMessage(ctx.db, ctx.user.id, input.id)),
  rules: protectedProcedure.output(ZNotificationRuleListResponseSchema).query(async ({ ctx }) => ({ rules: await listRules(ctx.db, ctx.user.id) })),
  createRule: protectedProcedure
    .input(ZCreateNotificationRuleRequestSchema)
    .output(ZNotificationRuleResponseSchema)
    .mutation(({ ctx, input }) => createRule(ctx.db, ctx.user.id, input)),
  deleteRule: protectedProcedure
    .input(ZIdRequestSchema)
    .output(ZNotificationDeletedResponseSchema)
    .mutation(({ ctx, input }) => deleteRule(ctx.db, ctx.user.id, input.id)),
  templates: protectedProcedure
    .output(ZNotificationTemplateListResponseSchema)
    .query(async ({ ctx }) => ({ templates: await listTemplates(ctx.db, ctx.user.id) })),
  setTemplate: protectedProcedure
    .input(ZSetNotificationTemplateRequestSchema)
    .output(ZNotificationTemplateResponseSchema)
    .mutation(({ ctx, input }) => setTemplate(ctx.db, ctx.user.id, input)),
  resetTemplate: protectedProcedure
    .input(z.object({ kind: ZNotificationKind }).strict())
    .output(ZNotificationTemplateResponseSchema)
    .mutation(({ ctx, input }) => resetTemplate(ctx.db, ctx.user.id, input.kind)),
  preview: protectedProcedure
    .input(ZPreviewNotificationTemplateRequestSchema)
    .output(ZNotificationPreviewResponseSchema)
    .query(({ input }) => previewTemplate(input)),
  deliveries: protectedProcedure
    .input(ZListNotificationDeliveriesRequestSchema.optional())
    .output(ZNotificationDeliveryListResponseSchema)
    .query(async ({ ctx, input }) => ({ deliveries: await listDeliveries(ctx.db, ctx.user.id, { limit: input?.limit }) })),
});
