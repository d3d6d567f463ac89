import { z } from 'zod';
import { safeText } from '@/server/core/text';
import {
  ZAlertIdSchema,
  ZAlertResponseSchema,
  ZCreateDeploymentRequestSchema,
  ZDeploymentEquityResponseSchema,
  ZDeploymentIdSchema,
  ZDeploymentResponseSchema,
  ZListAlertsRequestSchema,
  ZListDeploymentsRequestSchema,
  ZStopDeploymentRequestSchema,
  ZStopDeploymentResponseSchema,
} from '@/server/api/schemas/deployments';
import { ZListSignalsRequestSchema, ZSignalSecretResponseSchema, ZSignalWebhookResponseSchema } from '@/server/api/schemas/signals';
import { ZChartWindowByIdSchema, ZChartWindowSchema } from '@/server/api/schemas/backtests';
import { createTRPCRouter, protectedProcedure } from '@/server/api/trpc';
import { getDeploymentChartWindow } from '@/server/services/deployments/chart-window';
import { listSignals, rotateSignalSecret } from '@/server/services/signals';
import { acknowledgeAlert, listAlerts } from '@/server/services/alerts';
import {
  createDeployment,
  deploymentEquityCurve,
  getDeployment,
  listDeployments,
  pauseDeployment,
  resumeDeployment,
  stopDeployment,
} from '@/server/services/deployments';

export const deploymentsRouter = createTRPCRouter({
  list: protectedProcedure
    .input(ZListDeploymentsRequestSchema)
    .output(z.array(ZDeploymentResponseSchema))
    .query(({ ctx, input }) => listDeployments(ctx.db, ctx.user.id, input)),
  get: protectedProcedure
    .input(ZDeploymentIdSchema)
    .output(ZDeploymentResponseSchema)
    .query(({ ctx, input }) => getDeployment(ctx.db, ctx.user.id, input.id)),
  equity: protectedProcedure
    .input(ZDeploymentIdSchema)
    .output(ZDeploymentEquityResponseSchema)
    .query(({ ctx, input }) => deploymentEquityCurve(ctx.db, ctx.user.id, input.id)),
  /** A window of the price chart: GET /api/v1/deployments/{id}/chart */
  chart: protectedProcedure
    .input(ZChartWindowByIdSchema)
    .output(ZChartWindowSchema)
    .query(({ ctx, input }) => getDeploymentChartWindow(ctx.db, ctx.user.id, input.id, input)),
  create: protectedProcedure
    .input(ZCreateDeploymentRequestSchema.extend({ strategyId: safeText().min(1).max(64) }))
    .output(ZDeploymentResponseSchema)
    .mutation(({ ctx, input }) => {
      const { strategyId, ...rest } = input;
      return createDeployment(ctx.db, ctx.user.id, strategyId, rest);
    }),
  pause: protectedProcedure
    .input(ZDeploymentIdSchema)
    .output(ZDeploymentResponseSchema)
    .mutation(({ ctx, input }) => pauseDeployment(ctx.db, ctx.user.id, input.id)),
  resume: protectedProcedure
    .input(ZDeploymentIdSchema)
    .output(ZDeploymentResponseSchema)
    .mutation(({ ctx, input }) => resumeDeployment(ctx.db, ctx.user.id, input.id)),
  stop: protectedProcedure
    .input(ZDeploymentIdSchema.extend(ZStopDeploymentRequestSchema.shape))
    .output(ZStopDeploymentResponseSchema)
    .mutation(({ ctx, input }) => stopDeployment(ctx.db, ctx.user.id, input.id, { closePosition: input.closePosition })),
  /** The signal webhook of a signal deployment and its last signals (docs/signals.md). */
  signals: protectedProcedure
    .input(ZListSignalsRequestSchema)
    .output(ZSignalWebhookResponseSchema)
    .query(({ ctx, input }) => listSignals(ctx.db, ctx.user.id, input.id, input.limit)),
  rotateSignalSecret: protectedProcedure
    .input(ZDeploymentIdSchema)
    .output(ZSignalSecretResponseSchema)
    .mutation(({ ctx, input }) => rotateSignalSecret(ctx.db, ctx.user.id, input.id)),
});

export const alertsRouter = createTRPCRouter({
  list: protectedProcedure
    .input(ZListAlertsRequestSchema)
    .output(z.array(ZAlertResponseSchema))
    .query(({ ctx, input }) => listAlerts(ctx.db, ctx.user.id, { unacknowledgedOnly: input.unacknowledged === 'true', limit: input.limit })),
  acknowledge: protectedProcedure
    .input(ZAlertIdSchema)
    .output(ZAlertResponseSchema)
    .mutation(({ ctx, input }) => acknowledgeAlert(ctx.db, ctx.user.id, input.id)),
});
