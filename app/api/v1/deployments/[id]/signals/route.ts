import { parseInput, reply, searchParams, withUser } from '@/server/api/rest';
import { ZListSignalsRequestSchema, ZSignalWebhookResponseSchema } from '@/server/api/schemas/signals';
import { listSignals } from '@/server/services/signals';

// GET /api/v1/deployments/{id}/signals – the deployment's signal webhook (path, secret prefix) and its last signals with their outcome
export const GET = withUser<{ id: string }>(async ({ db, user, params, req }) => {
  const input = parseInput(ZListSignalsRequestSchema, { ...searchParams(req), id: params.id });
  return reply(ZSignalWebhookResponseSchema, await listSignals(db, user.id, input.id, input.limit));
});
