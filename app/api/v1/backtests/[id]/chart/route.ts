import { parseInput, reply, searchParams, withUser } from '@/server/api/rest';
import { ZChartWindowQuerySchema, ZChartWindowSchema } from '@/server/api/schemas/backtests';
import { pathId } from '@/server/api/schemas/strategies';
import { getBacktestChartWindow } from '@/server/services/backtests/chart-window';

// GET /api/v1/backtests/{id}/chart?from=&to=&maxBars= – candles (aggregated beyond maxBars), the strategy's plots and the trade markers of a window
export const GET = withUser<{ id: string }>(async ({ db, user, params, req }) =>
  reply(ZChartWindowSchema, await getBacktestChartWindow(db, user.id, pathId(params.id, 'backtest'), parseInput(ZChartWindowQuerySchema, searchParams(req)))),
);
