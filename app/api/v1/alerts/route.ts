import { parseInput, reply, searchParams, withUser } from '@/server/api/rest';
import { ZAlertListResponseSchema, ZListAlertsRequestSchema } from '@/server/api/schemas/deployments';
import { listAlerts } from '@/server/services/alerts';

// GET /api/v1/alerts?unacknowledged=true&limit= – rejections, circuit breakers, reconciliation findings, newest first
export const GET = withUser(async ({ db, req, user }) => {
  const input = parseInput(ZListAlertsRequestSchema, searchParams(req));
  return reply(ZAlertListResponseSchema, {
    alerts: await listAlerts(db, user.id, { unacknowledgedOnly: input.unacknowledged === 'true', limit: input.limit }),
  });
});
