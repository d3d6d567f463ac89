import { z } from 'zod';
import { zTimeOutput } from '@/server/core/time-output';
import { ALERT_SEVERITIES } from '@/db/schema/deployments';

/** An alert as its user sees it: one declaration (re-exported by server/api/schemas/deployments.ts). */
export const ZAlertResponseSchema = z.object({
  id: z.number(),
  kind: z.string(),
  severity: z.enum(ALERT_SEVERITIES),
  message: z.string(),
  deploymentId: z.string().nullable(),
  accountId: z.string().nullable(),
  orderId: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  createdAt: zTimeOutput(),
  acknowledgedAt: zTimeOutput().nullable(),
});
export type AlertView = z.infer<typeof ZAlertResponseSchema>;
