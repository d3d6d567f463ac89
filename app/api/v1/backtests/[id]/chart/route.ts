import { reply, withUser } from '@/server/api/rest';
import { ZBacktestChartSchema } from '@/server/api/schemas/backtests';
import { pathId } from '@/server/api/schemas/strategies';
import { getBacktestChart } from '@/server/services/backtests/backtests';

// GET /api/v1/backtests/{id}/chart – equity, drawdown and close series, downsampled to ≤ 2,000 points
export const GET = withUser<{ id: string }>(async ({ db, user, params }) =>
  reply(ZBacktestChartSchema, await getBacktestChart(db, user.id, pathId(params.id, 'backtest'))),
);
