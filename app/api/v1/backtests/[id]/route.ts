import { reply, withUser } from '@/server/api/rest';
import { ZBacktestResponseSchema, ZBacktestSummarySchema } from '@/server/api/schemas/backtests';
import { pathId } from '@/server/api/schemas/strategies';
import { cancelBacktestForUser, getBacktestForUser } from '@/server/services/backtests/backtests';

// GET /api/v1/backtests/{id} – status, progress, and once completed the metrics and trades
export const GET = withUser<{ id: string }>(async ({ db, user, params }) =>
  reply(ZBacktestResponseSchema, await getBacktestForUser(db, user.id, pathId(params.id, 'backtest'))),
);

// DELETE /api/v1/backtests/{id} – cancel a queued or running backtest (409 when it already finished)
export const DELETE = withUser<{ id: string }>(async ({ db, user, params }) =>
  reply(ZBacktestSummarySchema, await cancelBacktestForUser(db, user.id, pathId(params.id, 'backtest'))),
);
