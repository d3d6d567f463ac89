import { and, asc, eq, gte, lt } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { backtests, backtestTrades } from '@/db/schema';
import { candleTimeOf } from '@/server/core/charts/window';
import { floatToDecimalString } from '@/server/core/money/decimal';
import { getStrategyDefinition } from '@/server/core/strategies';
import { parseParams } from '@/server/core/strategies/params';
import { timeframeToMs } from '@/server/core/timeframe';
import { AppError } from '@/server/core/errors';
import {
  buildChartWindow,
  cached,
  cachedCandleSeries,
  type ChartMarker,
  type ChartWindowView,
  type WindowRequest,
} from '@/server/services/market-data/chart-window';

/**
 * A window of a backtest's price chart (GET /api/v1/backtests/{id}/chart): its candles over [from, to) (default:
 * the whole run), its strategy's plots and its trades' entry and exit markers inside the window.
 *
 * The plots are computed, not recorded: the strategy's plotValues over the run's candles from the run's first bar
 * (the same bars, params and indicator code the engine ran, so the values are the ones its decisions read — an
 * EMA's value depends on every bar since the first, so a window alone or "window plus warm-up" would not do).
 * They are cached with the candles, so only the first window of a run pays for them.
 */
export async function getBacktestChartWindow(db: DbOrTx, userId: string, id: string, request: WindowRequest): Promise<ChartWindowView> {
  const [row] = await db
    .select({
      exchange: backtests.exchange,
      symbol: backtests.symbol,
      timeframe: backtests.timeframe,
      startTime: backtests.startTime,
      endTime: backtests.endTime,
      strategyType: backtests.strategyType,
      params: backtests.params,
      status: backtests.status,
    })
    .from(backtests)
    .where(and(eq(backtests.id, id), eq(backtests.userId, userId)));
  if (!row) throw AppError.notFound('backtest');
  const key = { exchange: row.exchange, symbol: row.symbol, timeframe: row.timeframe };
  const series = await cachedCandleSeries(db, key, row.startTime, row.endTime);
  const definition = getStrategyDefinition(row.strategyType);
  const plots =
    definition.plots && definition.plotValues
      ? {
          specs: definition.plots,
          values: await cached(
            `plots|${id}`,
            (values: Readonly<Record<string, Float64Array>>) => Object.values(values).reduce((sum, column) => sum + column.byteLength, 0),
            async () => definition.plotValues!(series, parseParams(definition, row.params)),
          ),
        }
      : null;
  const timeframeMs = timeframeToMs(row.timeframe);
  // Trades touching the window (entered before its end, exited at or after its start), in order.
  const from = request.from ?? row.startTime;
  const to = request.to ?? row.endTime;
  const trades =
    row.status === 'completed'
      ? await db
          .select()
          .from(backtestTrades)
          .where(
            and(eq(backtestTrades.backtestId, id), eq(backtestTrades.userId, userId), lt(backtestTrades.entryTime, to), gte(backtestTrades.exitTime, from)),
          )
          .orderBy(asc(backtestTrades.seq))
      : [];
  return buildChartWindow(key, series, { ...request, from, to }, plots, (bucketMs, windowFrom, windowTo) => {
    const markers: ChartMarker[] = [];
    for (const trade of trades) {
      const quantity = floatToDecimalString(trade.quantity);
      if (trade.entryTime >= windowFrom && trade.entryTime < windowTo)
        markers.push({
          time: candleTimeOf(trade.entryTime, bucketMs, timeframeMs),
          barTime: trade.entryTime,
          tradeNumber: trade.seq + 1,
          side: 'buy',
          price: floatToDecimalString(trade.entryPrice),
          quantity,
          pnl: null,
          pnlPct: null,
        });
      if (trade.exitTime >= windowFrom && trade.exitTime < windowTo)
        markers.push({
          time: candleTimeOf(trade.exitTime, bucketMs, timeframeMs),
          barTime: trade.exitTime,
          tradeNumber: trade.seq + 1,
          side: 'sell',
          price: floatToDecimalString(trade.exitPrice),
          quantity,
          pnl: floatToDecimalString(trade.pnl),
          pnlPct: floatToDecimalString(trade.pnlPct),
        });
    }
    // lightweight-charts wants markers in time order; an exit and the next entry may share a bar.
    return markers.sort((a, b) => a.time - b.time || a.barTime - b.barTime || a.tradeNumber - b.tradeNumber);
  });
}
