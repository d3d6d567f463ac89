import { z } from 'zod';
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
  createdAt: z.string(),
  acknowledgedAt: z.string().nullable(),
});
export type AlertView = z.infer<typeof ZAlertResponseSchema>;
