import { readJson, reply, withUser } from '@/server/api/rest';
import { ZCreateMonteCarloRequestSchema, ZMonteCarloResponseSchema } from '@/server/api/schemas/robustness';
import { pathId } from '@/server/api/schemas/strategies';
import { createMonteCarlo } from '@/server/services/robustness/monte-carlo';

// POST /api/v1/backtests/{id}/monte-carlo – queue a Monte Carlo study of a completed backtest; 202
export const POST = withUser<{ id: string }>(async ({ db, req, user, params }) => {
  const input = await readJson(req, ZCreateMonteCarloRequestSchema);
  return reply(ZMonteCarloResponseSchema, await createMonteCarlo(db, user.id, pathId(params.id, 'backtest'), input), 202);
});
