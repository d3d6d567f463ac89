import { and, asc, eq } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { backtests, backtestTrades } from '@/db/schema';
import { lowerBound } from '@/server/core/candles';
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
  const from = request.from ?? row.startTime;
  const to = request.to ?? row.endTime;
  const trades = row.status === 'completed' ? await cachedTrades(db, userId, id) : null;
  return buildChartWindow(key, series, { ...request, from, to }, plots, (bucketMs, windowFrom, windowTo) => {
    if (!trades) return [];
    // Fills in time order: trades are sequential (trade k exits no later than trade k + 1 enters), so walking from the
    // first trade that exits inside the window, entry then exit, gives them sorted; stop once entries pass the window.
    const fills: Fill[] = [];
    for (let k = lowerBound(trades.exitTime, windowFrom); k < trades.length && trades.entryTime[k]! < windowTo; k++) {
      const entryTime = trades.entryTime[k]!;
      const exitTime = trades.exitTime[k]!;
      if (entryTime >= windowFrom) fills.push({ time: candleTimeOf(entryTime, bucketMs, timeframeMs), trade: k, side: 'buy', more: 0 });
      if (exitTime < windowTo) fills.push({ time: candleTimeOf(exitTime, bucketMs, timeframeMs), trade: k, side: 'sell', more: 0 });
    }
    // Only the markers sent are formatted, each trade's text once per cache lifetime (decimal strings cost more than
    // everything else here).
    return (bucketMs === timeframeMs ? fills : oneMarkerPerCandleAndSide(fills)).map(({ time, trade: k, side, more }): ChartMarker => {
      const text = tradeText(trades, k);
      const buy = side === 'buy';
      return {
        time,
        barTime: buy ? trades.entryTime[k]! : trades.exitTime[k]!,
        tradeNumber: k + 1,
        side,
        price: buy ? text.entryPrice : text.exitPrice,
        quantity: text.quantity,
        pnl: buy ? null : text.pnl,
        pnlPct: buy ? null : text.pnlPct,
        more,
      };
    });
  });
}

interface Fill {
  /** the candle it sits on */
  time: number;
  /** 0-based trade index */
  trade: number;
  side: 'buy' | 'sell';
  more: number;
}

/**
 * Zoomed out (aggregated), many fills share a candle: one marker per candle and side, the first fill's, with
 * `more` counting the others (so a year of 1m trades is at most two markers per candle, not tens of thousands).
 */
function oneMarkerPerCandleAndSide(markers: Fill[]): Fill[] {
  const out: Fill[] = [];
  const open = new Map<string, Fill>();
  let candle = Number.NaN;
  for (const marker of markers) {
    if (marker.time !== candle) {
      open.clear();
      candle = marker.time;
    }
    const first = open.get(marker.side);
    if (first) first.more++;
    else {
      open.set(marker.side, marker);
      out.push(marker);
    }
  }
  return out;
}

interface TradeText {
  entryPrice: string;
  exitPrice: string;
  quantity: string;
  pnl: string;
  pnlPct: string;
}

/** Trade k's prices, quantity and P&L as the trade table shows them (decimal strings), formatted on first use. */
function tradeText(trades: TradeColumns, k: number): TradeText {
  let text = trades.text[k];
  if (!text) {
    text = {
      entryPrice: floatToDecimalString(trades.entryPrice[k]!),
      exitPrice: floatToDecimalString(trades.exitPrice[k]!),
      quantity: floatToDecimalString(trades.quantity[k]!),
      pnl: floatToDecimalString(trades.pnl[k]!),
      pnlPct: floatToDecimalString(trades.pnlPct[k]!),
    };
    trades.text[k] = text;
  }
  return text;
}

interface TradeColumns {
  length: number;
  /** filled by tradeText */
  text: (TradeText | undefined)[];
  entryTime: Float64Array;
  exitTime: Float64Array;
  entryPrice: Float64Array;
  exitPrice: Float64Array;
  quantity: Float64Array;
  pnl: Float64Array;
  pnlPct: Float64Array;
}

/** A completed run's trades as columns, in trade order, cached like its candles (a run's trades never change). */
function cachedTrades(db: DbOrTx, userId: string, id: string): Promise<TradeColumns> {
  return cached(
    `trades|${id}`,
    // 7 columns, and up to five short strings per trade once formatted
    (t: TradeColumns) => t.length * (7 * Float64Array.BYTES_PER_ELEMENT + 5 * 64),
    async () => {
      const rows = await db
        .select({
          entryTime: backtestTrades.entryTime,
          exitTime: backtestTrades.exitTime,
          entryPrice: backtestTrades.entryPrice,
          exitPrice: backtestTrades.exitPrice,
          quantity: backtestTrades.quantity,
          pnl: backtestTrades.pnl,
          pnlPct: backtestTrades.pnlPct,
        })
        .from(backtestTrades)
        .where(and(eq(backtestTrades.backtestId, id), eq(backtestTrades.userId, userId)))
        .orderBy(asc(backtestTrades.seq));
      const column = (pick: (row: (typeof rows)[number]) => number) => Float64Array.from(rows, pick);
      return {
        length: rows.length,
        text: new Array<TradeText | undefined>(rows.length),
        entryTime: column((r) => r.entryTime),
        exitTime: column((r) => r.exitTime),
        entryPrice: column((r) => r.entryPrice),
        exitPrice: column((r) => r.exitPrice),
        quantity: column((r) => r.quantity),
        pnl: column((r) => r.pnl),
        pnlPct: column((r) => r.pnlPct),
      };
    },
  );
}
