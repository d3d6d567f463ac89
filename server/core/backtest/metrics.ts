import type { CandleSeries } from '../candles';
import { entryQuantity, marketFillPrice, tradeFee } from '../fill-model';
import { lengthOf } from '../intrinsics';
import { TradeLog } from './trade-log';
import type { BacktestMetrics, BacktestTrade } from './types';

export const MS_PER_YEAR = 365 * 86_400_000;

/** √(periods per year): the factor that annualises a per-bar Sharpe or Sortino ratio. */
export function annualisationFactor(timeframeMs: number): number {
  return Math.sqrt(MS_PER_YEAR / timeframeMs);
}

/**
 * Buy with all the capital on the first bar's open (open × (1 + slippage), fee on top, via entryQuantity),
 * sell everything at the last bar's close × (1 − slippage) minus the fee; return in percent.
 */
export function buyAndHoldReturnPct(series: CandleSeries, initialCapital: number, feeRate: number, slippage: number): number {
  const n = series.length;
  if (n === 0) return 0;
  const buyPrice = marketFillPrice('buy', series.open[0]!, slippage);
  const quantity = entryQuantity(initialCapital, 100, buyPrice, feeRate);
  const cashLeft = initialCapital - (buyPrice * quantity + tradeFee(feeRate, buyPrice, quantity));
  const sellPrice = marketFillPrice('sell', series.close[n - 1]!, slippage);
  const finalCash = cashLeft + (sellPrice * quantity - tradeFee(feeRate, sellPrice, quantity));
  return (finalCash / initialCapital - 1) * 100;
}

export interface MetricsInput {
  readonly equity: Float64Array;
  /** the round trips, in order: compact (the engine's) or as objects */
  readonly trades: TradeLog | readonly BacktestTrade[];
  readonly initialCapital: number;
  readonly timeframeMs: number;
  /** open time of the first bar and of the last bar, ms */
  readonly firstTime: number;
  readonly lastTime: number;
  /** bars with a position held at their close */
  readonly exposedBars: number;
  readonly buyAndHoldReturnPct: number;
}

/** Every metric as docs/backtesting.md defines it. */
export function computeMetrics(input: MetricsInput): BacktestMetrics {
  const { equity, trades, initialCapital } = input;
  // Not `equity.length`: in a script's isolate the accessor may be the script's, and the equity gives back the closes
  // of every bar held (core/intrinsics.ts).
  const n = lengthOf(equity);
  const finalEquity = n > 0 ? equity[n - 1]! : initialCapital;
  const totalReturnPct = (finalEquity / initialCapital - 1) * 100;

  // Per-bar simple returns of the bar-close equity: r_k = e_k / e_(k−1) − 1, k = 1..n−1.
  const returnCount = n - 1;
  let sum = 0;
  let peak = n > 0 ? equity[0]! : 0;
  let maxDrawdown = 0;
  for (let k = 0; k < n; k++) {
    const e = equity[k]!;
    if (k > 0) sum += barReturn(equity, k);
    if (e > peak) peak = e;
    else if (peak > 0) {
      const drawdown = (peak - e) / peak;
      if (drawdown > maxDrawdown) maxDrawdown = drawdown;
    }
  }
  const mean = returnCount > 0 ? sum / returnCount : 0;
  let squares = 0;
  let downsideSquares = 0;
  for (let k = 1; k < n; k++) {
    const r = barReturn(equity, k);
    squares += (r - mean) * (r - mean);
    if (r < 0) downsideSquares += r * r;
  }
  const sampleDeviation = returnCount > 1 ? Math.sqrt(squares / (returnCount - 1)) : 0;
  const downsideDeviation = returnCount > 0 ? Math.sqrt(downsideSquares / returnCount) : 0;
  const annualise = annualisationFactor(input.timeframeMs);
  const sharpeRatio = sampleDeviation > 0 ? (mean / sampleDeviation) * annualise : 0;
  const sortinoRatio = downsideDeviation > 0 ? (mean / downsideDeviation) * annualise : 0;

  const years = n > 0 ? (input.lastTime + input.timeframeMs - input.firstTime) / MS_PER_YEAR : 0;
  const growth = finalEquity / initialCapital;
  const cagrPct = years > 0 ? (growth > 0 ? (Math.pow(growth, 1 / years) - 1) * 100 : -100) : 0;
  const maxDrawdownPct = maxDrawdown * 100;
  const calmarRatio = maxDrawdownPct > 0 ? cagrPct / maxDrawdownPct : 0;

  let wins = 0;
  let grossProfit = 0;
  let grossLoss = 0;
  let pnlPctSum = 0;
  const tradeCount = trades.length;
  const log = trades instanceof TradeLog ? trades : null;
  for (let t = 0; t < tradeCount; t++) {
    const pnl = log ? log.pnl(t) : (trades as readonly BacktestTrade[])[t]!.pnl;
    if (pnl > 0) {
      wins++;
      grossProfit += pnl;
    } else if (pnl < 0) grossLoss -= pnl;
    pnlPctSum += log ? log.pnlPct(t) : (trades as readonly BacktestTrade[])[t]!.pnlPct;
  }
  return {
    totalReturnPct,
    cagrPct,
    sharpeRatio,
    sortinoRatio,
    maxDrawdownPct,
    calmarRatio,
    tradeCount,
    winRatePct: tradeCount > 0 ? (wins / tradeCount) * 100 : 0,
    profitFactor: grossLoss > 0 ? grossProfit / grossLoss : null,
    averageTradePct: tradeCount > 0 ? pnlPctSum / tradeCount : 0,
    exposurePct: n > 0 ? (input.exposedBars / n) * 100 : 0,
    buyAndHoldReturnPct: input.buyAndHoldReturnPct,
  };
}

function barReturn(equity: Float64Array, k: number): number {
  const previous = equity[k - 1]!;
  return previous > 0 ? equity[k]! / previous - 1 : 0;
}
