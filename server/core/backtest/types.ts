import type { IndicatorColumns } from '../indicators/columns';
import type { FillLog, TradeLog } from './trade-log';

export interface BacktestConfig {
  /** quote currency at the start, > 0 */
  readonly initialCapital: number;
  /** fraction per fill, e.g. 0.001 = 0.1% */
  readonly feeRate: number;
  /** fraction per market fill: buys pay open × (1 + slippage), sells receive × (1 − slippage) */
  readonly slippage: number;
  /** ccxt timeframe of the series ("1h"), used to annualise ratios */
  readonly timeframe: string;
}

export interface BacktestOptions {
  /** called with the fraction of bars done (0 < f ≤ 1), at most ~100 times */
  readonly onProgress?: (fraction: number) => void;
  /** polled every few thousand bars; returning true aborts the run with BacktestCancelledError */
  readonly shouldCancel?: () => boolean;
  /**
   * Indicator columns shared between runs over the same series (a sweep's combinations): a strategy that
   * supports it (StrategyInstance.useColumns) reads its indicators from them instead of updating them per bar.
   * The results are the same bit for bit; only the work is shared.
   */
  readonly indicatorColumns?: IndicatorColumns;
  /**
   * Where to write the equity curve instead of a new array (length ≥ the series' length): the result's `equity` is
   * then a view of its first n values. For callers that run many backtests one after another and keep only their
   * metrics (a sweep thread): no 8 bytes per bar allocated and zeroed per run. Every value is written by the run.
   */
  readonly equityBuffer?: Float64Array;
}

export type ExitReason = 'signal' | 'stop_loss' | 'take_profit' | 'trailing_stop' | 'end';

export interface BacktestTrade {
  /** open time (ms, UTC) of the bar the (first) buy filled on */
  readonly entryTime: number;
  /** open time of the bar the sale filled on; the last bar's time for an end-of-data sale */
  readonly exitTime: number;
  /** fill price of the buy (average fill price when a DCA position was added to), quote per base */
  readonly entryPrice: number;
  readonly exitPrice: number;
  /** base units bought and sold */
  readonly quantity: number;
  /** entry fee(s) + exit fee, quote */
  readonly fee: number;
  /** exit proceeds − exit fee − (entry cost + entry fees), quote */
  readonly pnl: number;
  /** pnl ÷ (entry cost + entry fees) × 100 */
  readonly pnlPct: number;
  readonly exitReason: ExitReason;
}

export interface TradeMarker {
  /** bar index the fill happened on */
  readonly index: number;
  readonly time: number;
  readonly side: 'buy' | 'sell';
  readonly price: number;
  readonly quantity: number;
  /** 'entry' opens a position, 'add' adds to it (DCA); sells carry their exit reason */
  readonly reason: 'entry' | 'add' | ExitReason;
}

export interface BacktestMetrics {
  totalReturnPct: number;
  cagrPct: number;
  sharpeRatio: number;
  sortinoRatio: number;
  maxDrawdownPct: number;
  calmarRatio: number;
  tradeCount: number;
  winRatePct: number;
  /** gross profit ÷ gross loss; null when there is no losing trade (no loss to divide by) */
  profitFactor: number | null;
  averageTradePct: number;
  exposurePct: number;
  buyAndHoldReturnPct: number;
}

/**
 * What runBacktest returns. The trades and fills are held compactly (`tradeLog`, `fillLog`: rows of doubles, no
 * object per trade or fill); `trades` and `markers` are the same values as plain objects, built on first read and
 * then kept. Hot paths (storing results, metrics) read the logs; the arrays are for callers that want objects.
 */
export interface BacktestResult {
  /** every round trip, in order (built from `tradeLog` on first read) */
  readonly trades: BacktestTrade[];
  /** equity at each bar's close, quote; same length as the series */
  readonly equity: Float64Array;
  /** every fill, in order, for charts (built from `fillLog` on first read) */
  readonly markers: TradeMarker[];
  readonly metrics: BacktestMetrics;
  /** the trades, compact: 72 bytes each */
  readonly tradeLog: TradeLog;
  /** the fills, compact: 40 bytes each */
  readonly fillLog: FillLog;
}

export class BacktestCancelledError extends Error {
  constructor() {
    super('backtest cancelled');
    this.name = 'BacktestCancelledError';
  }
}
