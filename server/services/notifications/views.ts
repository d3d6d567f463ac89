import { z } from 'zod';
import { zTimeOutput } from '@/server/core/time-output';
import { NOTIFICATION_CHANNEL_TYPES, NOTIFICATION_KINDS } from '@/db/schema/notifications';

/** What callers see of notifications: one declaration each (re-exported by server/api/schemas/notifications.ts). */

/** Never a secret: `targetHint` is e.g. "chat 12345 · bot …AbCd" or "https://hooks.example.com/…". */
export const ZNotificationChannelResponseSchema = z.object({
  id: z.string(),
  type: z.enum(NOTIFICATION_CHANNEL_TYPES),
  name: z.string(),
  enabled: z.boolean(),
  targetHint: z.string(),
  createdAt: zTimeOutput(),
  updatedAt: zTimeOutput(),
});
export type NotificationChannelView = z.infer<typeof ZNotificationChannelResponseSchema>;

/** A new webhook channel whose signing secret was generated: the secret, shown this once. */
export const ZCreatedNotificationChannelResponseSchema = ZNotificationChannelResponseSchema.extend({ signingSecret: z.string().nullable() });
export type CreatedNotificationChannelView = z.infer<typeof ZCreatedNotificationChannelResponseSchema>;

export const ZNotificationRuleResponseSchema = z.object({
  id: z.string(),
  channelId: z.string(),
  kind: z.enum(NOTIFICATION_KINDS),
  /** null: every deployment (and events of no deployment). */
  deploymentId: z.string().nullable(),
  createdAt: zTimeOutput(),
});
export type NotificationRuleView = z.infer<typeof ZNotificationRuleResponseSchema>;

export const ZNotificationTemplateResponseSchema = z.object({
  kind: z.enum(NOTIFICATION_KINDS),
  body: z.string(),
  isDefault: z.boolean(),
  variables: z.array(z.string()),
});
export type NotificationTemplateView = z.infer<typeof ZNotificationTemplateResponseSchema>;

/** pending: not tried yet; retrying: failed, tried again at nextAttemptAt; delivered; dead: given up. */
export const NOTIFICATION_DELIVERY_VIEW_STATUSES = ['pending', 'retrying', 'delivered', 'dead'] as const;
export const ZNotificationDeliveryResponseSchema = z.object({
  id: z.string(),
  channelId: z.string(),
  channelName: z.string(),
  kind: z.string(),
  status: z.enum(NOTIFICATION_DELIVERY_VIEW_STATUSES),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  lastHttpStatus: z.number().int().nullable(),
  nextAttemptAt: zTimeOutput().nullable(),
  createdAt: zTimeOutput(),
  deliveredAt: zTimeOutput().nullable(),
});
export type NotificationDeliveryView = z.infer<typeof ZNotificationDeliveryResponseSchema>;

export const ZNotificationChannelListResponseSchema = z.object({ channels: z.array(ZNotificationChannelResponseSchema) });
export const ZNotificationRuleListResponseSchema = z.object({ rules: z.array(ZNotificationRuleResponseSchema) });
export const ZNotificationTemplateListResponseSchema = z.object({ templates: z.array(ZNotificationTemplateResponseSchema) });
export const ZNotificationDeliveryListResponseSchema = z.object({ deliveries: z.array(ZNotificationDeliveryResponseSchema) });
export const ZNotificationPreviewResponseSchema = z.object({ text: z.string(), unknownPlaceholders: z.array(z.string()) });
export const ZNotificationTestResponseSchema = z.object({
  ok: z.boolean(),
  httpStatus: z.number().int().nullable(),
  error: z.string().nullable(),
  deliveryId: z.string(),
});
export type NotificationTestResult = z.infer<typeof ZNotificationTestResponseSchema>;
export const ZNotificationDeletedResponseSchema = z.object({ deleted: z.literal(true) });
