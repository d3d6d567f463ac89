import { parseInput, readJson, reply, searchParams, withUser } from '@/server/api/rest';
import { ZBacktestListResponseSchema, ZBacktestSummarySchema, ZCreateBacktestRequestSchema, ZListBacktestsQuerySchema } from '@/server/api/schemas/backtests';
import { createBacktest, listBacktestsForUser } from '@/server/services/backtests/backtests';

// GET /api/v1/backtests?strategyId= – the user's backtests, newest first (without trades)
export const GET = withUser(async ({ db, req, user }) => {
  const query = parseInput(ZListBacktestsQuerySchema, searchParams(req));
  return reply(ZBacktestListResponseSchema, await listBacktestsForUser(db, user.id, query));
});

// POST /api/v1/backtests – queue a backtest of a strategy; 202, then poll GET /api/v1/backtests/{id}
export const POST = withUser(async ({ db, req, user }) => {
  const input = await readJson(req, ZCreateBacktestRequestSchema);
  return reply(ZBacktestSummarySchema, await createBacktest(db, user.id, input), 202);
});
