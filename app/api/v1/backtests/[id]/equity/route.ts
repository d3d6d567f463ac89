import { reply, withUser } from '@/server/api/rest';
import { ZBacktestEquitySchema } from '@/server/api/schemas/backtests';
import { pathId } from '@/server/api/schemas/strategies';
import { getBacktestEquity } from '@/server/services/backtests/backtests';

// GET /api/v1/backtests/{id}/equity – equity, drawdown and close series, downsampled to ≤ 2,000 points
export const GET = withUser<{ id: string }>(async ({ db, user, params }) =>
  reply(ZBacktestEquitySchema, await getBacktestEquity(db, user.id, pathId(params.id, 'backtest'))),
);
