import { parseInput, reply, searchParams, withUser } from '@/server/api/rest';
import { ZListSignalsQuerySchema, ZSignalWebhookResponseSchema } from '@/server/api/schemas/signals';
import { pathId } from '@/server/api/schemas/strategies';
import { listSignals } from '@/server/services/signals';

// GET /api/v1/deployments/{id}/signals – the deployment's signal webhook (path, secret prefix) and its last signals with their outcome
export const GET = withUser<{ id: string }>(async ({ db, user, params, req }) => {
  const { limit } = parseInput(ZListSignalsQuerySchema, searchParams(req));
  return reply(ZSignalWebhookResponseSchema, await listSignals(db, user.id, pathId(params.id, 'deployment'), limit));
});
