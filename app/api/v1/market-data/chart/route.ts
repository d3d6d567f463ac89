import { parseInput, reply, searchParams, withUser } from '@/server/api/rest';
import { ZChartWindowSchema } from '@/server/api/schemas/backtests';
import { ZMarketChartQuerySchema } from '@/server/api/schemas/market-data';
import { getMarketChartWindow } from '@/server/services/market-data/market-chart';

// GET /api/v1/market-data/chart?exchange=&symbol=&timeframe=&from=&to=&maxBars= – a window of a market's candles (aggregated beyond maxBars)
export const GET = withUser(async ({ db, req }) => {
  const { exchange, symbol, timeframe, ...window } = parseInput(ZMarketChartQuerySchema, searchParams(req));
  return reply(ZChartWindowSchema, await getMarketChartWindow(db, { exchange, symbol, timeframe }, window));
});
