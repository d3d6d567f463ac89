import type { BacktestTradeResponse } from '@/server/api/schemas/backtests';

/** `symbol` last: the pair of a pair-list backtest's trade (the backtest's symbol otherwise); older columns keep their places. */
export const TRADES_CSV_HEADER = 'entryTime,exitTime,entryPrice,exitPrice,quantity,fee,pnl,pnlPct,exitReason,symbol';

/**
 * RFC 4180 CSV of every trade: times as the API's ISO 8601 UTC text, numbers as the API's exact decimal strings
 * (never re-rendered through a float or the screen's rounding), so a spreadsheet gets what the engine stored.
 */
export function tradesCsv(trades: readonly BacktestTradeResponse[]): string {
  const rows = trades.map((t) => [t.entryTime, t.exitTime, t.entryPrice, t.exitPrice, t.quantity, t.fee, t.pnl, t.pnlPct, t.exitReason, t.symbol].join(','));
  return [TRADES_CSV_HEADER, ...rows].join('\r\n') + '\r\n';
}
