import { z } from 'zod';
import { NOTIFICATION_KINDS } from '@/db/schema/notifications';
import { multilineText, safeText } from '@/server/core/text';
import { TEMPLATE_MAX_LENGTH } from '@/server/services/notifications/render';
import {
  ZCreatedNotificationChannelResponseSchema,
  ZNotificationChannelListResponseSchema,
  ZNotificationChannelResponseSchema,
  ZNotificationDeletedResponseSchema,
  ZNotificationDeliveryListResponseSchema,
  ZNotificationPreviewResponseSchema,
  ZNotificationRuleListResponseSchema,
  ZNotificationRuleResponseSchema,
  ZNotificationTemplateListResponseSchema,
  ZNotificationTemplateResponseSchema,
  ZNotificationTestResponseSchema,
} from '@/server/services/notifications/views';

/** Shared by the REST handlers, the tRPC procedures and the notifications page. */
export const ZNotificationChannelName = safeText({ error: 'must be a string' })
  .trim()
  .min(1, { error: 'is required' })
  .max(64, { error: 'must be at most 64 characters' });
const secret = (max: number) =>
  safeText({ error: 'must be a string' })
    .trim()
    .min(1, { error: 'is required' })
    .max(max, { error: `must be at most ${max} characters` });

/** POST /api/v1/notifications/channels (and notifications.createChannel): the secrets are stored encrypted and never returned. */
export const ZCreateNotificationChannelRequestSchema = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('telegram'), name: ZNotificationChannelName, botToken: secret(200), chatId: secret(80) }).strict(),
    z.object({ type: z.literal('discord'), name: ZNotificationChannelName, webhookUrl: secret(500) }).strict(),
    z.object({ type: z.literal('webhook'), name: ZNotificationChannelName, url: secret(2000), secret: secret(200).optional() }).strict(),
  ],
  { error: 'type must be telegram, discord or webhook' },
);
export type CreateNotificationChannelRequest = z.infer<typeof ZCreateNotificationChannelRequestSchema>;

export const ZUpdateNotificationChannelRequestSchema = z
  .object({ name: ZNotificationChannelName.optional(), enabled: z.boolean({ error: 'must be true or false' }).optional() })
  .strict();

const uuid = z.uuid({ error: 'must be an id (uuid)' });
export const ZNotificationKind = z.enum(NOTIFICATION_KINDS, { error: `must be one of ${NOTIFICATION_KINDS.join(', ')}` });

/** POST /api/v1/notifications/rules: a kind of event to a channel, for one deployment or (deploymentId null/absent) all. */
export const ZCreateNotificationRuleRequestSchema = z.object({ channelId: uuid, kind: ZNotificationKind, deploymentId: uuid.nullable().optional() }).strict();

export const ZTemplateBody = multilineText({ error: 'must be a string' })
  .min(1, { error: 'is required' })
  .max(TEMPLATE_MAX_LENGTH, { error: `must be at most ${TEMPLATE_MAX_LENGTH} characters` });
/** PUT /api/v1/notifications/templates/{kind}: the kind's message template. */
export const ZSetNotificationTemplateRequestSchema = z.object({ kind: ZNotificationKind, body: ZTemplateBody }).strict();
export const ZSetNotificationTemplateBodySchema = z.object({ body: ZTemplateBody }).strict();
/** POST /api/v1/notifications/templates/preview: the template rendered with sample values. */
export const ZPreviewNotificationTemplateRequestSchema = z.object({ kind: ZNotificationKind, body: ZTemplateBody }).strict();

export const ZListNotificationDeliveriesRequestSchema = z
  .object({ limit: z.coerce.number({ error: 'must be a number' }).int({ error: 'must be a whole number' }).min(1).max(200).optional() })
  .strict();

export const ZIdRequestSchema = z.object({ id: uuid }).strict();

export {
  ZCreatedNotificationChannelResponseSchema,
  ZNotificationChannelListResponseSchema,
  ZNotificationChannelResponseSchema,
  ZNotificationDeletedResponseSchema,
  ZNotificationDeliveryListResponseSchema,
  ZNotificationPreviewResponseSchema,
  ZNotificationRuleListResponseSchema,
  ZNotificationRuleResponseSchema,
  ZNotificationTemplateListResponseSchema,
  ZNotificationTemplateResponseSchema,
  ZNotificationTestResponseSchema,
};
