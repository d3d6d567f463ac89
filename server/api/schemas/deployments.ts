import { z } from 'zod';
import { safeText } from '@/server/core/text';
import { zDecimalInput } from '@/server/core/money';
import { zTimeInput } from '@/server/core/time-input';
import { ZAlertResponseSchema } from '@/server/services/alerts/views';
import { ZDeploymentEquityResponseSchema, ZDeploymentResponseSchema, ZStopDeploymentResponseSchema } from '@/server/services/deployments/views';

const DEPLOYMENT_STATES = ['running', 'paused', 'stopped', 'completed', 'failed'] as const;

/** POST /api/v1/strategies/{id}/deployments (and deployments.create). */
export const ZCreateDeploymentRequestSchema = z
  .object({
    accountId: safeText({ error: 'must be a string' }).min(1, { error: 'is required' }).max(64),
    mode: z.enum(['paper', 'live'], { error: 'must be "paper" or "live"' }),
    feed: z
      .object({
        type: z.enum(['live', 'replay', 'simulated'], { error: 'must be "live", "replay" or "simulated"' }),
        start: zTimeInput().optional(),
        speed: z
          .number({ error: 'must be a number' })
          .positive({ error: 'must be greater than 0' })
          .max(10_000_000, { error: 'must be at most 10,000,000' })
          .optional(),
      })
      .strict()
      .optional(),
    maxPositionQuote: zDecimalInput({ field: 'maxPositionQuote', positive: true }).optional(),
    capitalQuote: zDecimalInput({ field: 'capitalQuote', positive: true }).optional(),
    riskLimits: z
      .object({
        maxOrderNotional: zDecimalInput({ field: 'riskLimits.maxOrderNotional', positive: true }).optional(),
        dailyLossLimitQuote: zDecimalInput({ field: 'riskLimits.dailyLossLimitQuote', positive: true }).optional(),
        maxDrawdownFraction: zDecimalInput({ field: 'riskLimits.maxDrawdownFraction', positive: true }).optional(),
      })
      .strict()
      .optional(),
    confirm: z
      .object({
        accountName: safeText().max(200),
        // Compared with maxPositionQuote by the service; a number or the text the user typed.
        maxPositionQuote: z.union([z.number().transform(String), safeText().max(64)], { error: 'must be a decimal number or a decimal string' }),
      })
      .strict()
      .optional(),
  })
  .strict();
/** What a client sends (numbers or decimal strings, ISO or epoch-ms times). */
export type CreateDeploymentRequest = z.input<typeof ZCreateDeploymentRequestSchema>;

export const ZListDeploymentsRequestSchema = z
  .object({
    strategyId: safeText().max(64).optional(),
    accountId: safeText().max(64).optional(),
    state: z.enum(DEPLOYMENT_STATES, { error: `must be one of ${DEPLOYMENT_STATES.join(', ')}` }).optional(),
  })
  .strict();

export const ZDeploymentIdSchema = z.object({ id: safeText().min(1).max(64) }).strict();
export const ZStopDeploymentRequestSchema = z.object({ closePosition: z.boolean({ error: 'must be true or false' }).optional() }).strict();

export type DeploymentResponse = z.infer<typeof ZDeploymentResponseSchema>;

export const ZListAlertsRequestSchema = z
  .object({ unacknowledged: z.enum(['true', 'false']).optional(), limit: z.coerce.number().int().min(1).max(500).optional() })
  .strict();
export const ZAlertIdSchema = z.object({ id: z.coerce.number({ error: 'must be an alert id' }).int().positive() }).strict();

export { ZAlertResponseSchema, ZDeploymentEquityResponseSchema, ZDeploymentResponseSchema, ZStopDeploymentResponseSchema };

// REST bodies around the shapes above (tRPC answers the lists as bare arrays).
export const ZDeploymentListResponseSchema = z.object({ deployments: z.array(ZDeploymentResponseSchema) });
export const ZAlertListResponseSchema = z.object({ alerts: z.array(ZAlertResponseSchema) });
