import { json, parseInput, searchParams, withUser } from '@/server/api/rest';
import { ZListAlertsRequestSchema } from '@/server/api/schemas/deployments';
import { listAlerts } from '@/server/services/alerts';

// GET /api/v1/alerts?unacknowledged=true&limit= – rejections, circuit breakers, reconciliation findings, newest first
export const GET = withUser(async ({ db, req, user }) => {
  const input = parseInput(ZListAlertsRequestSchema, searchParams(req));
  return json({ alerts: await listAlerts(db, user.id, { unacknowledgedOnly: input.unacknowledged === 'true', limit: input.limit }) });
});
