/**
 * The speed reference for the backtest engine: sma_crossover(fast, slow) with the engine's exact semantics
 * (docs/backtesting.md) hand-written as one loop — running sums in integer ticks instead of indicator objects, no strategy API,
 * no equity array (metrics are accumulated on the fly). It supports positionSizePct only (no stop loss, take
 * profit or trailing stop). server/core/backtest/kernel-parity.test.ts proves it gives the engine's trades and
 * metrics; the bench compares the engine's throughput with this loop's.
 */
import type { CandleSeries } from '../../server/core/candles';
import { entryQuantity, marketFillPrice, tradeFee } from '../../server/core/fill-model';
import { timeframeToMs } from '../../server/core/timeframe';
import { annualisationFactor, buyAndHoldReturnPct, MS_PER_YEAR } from '../../server/core/backtest/metrics';
import type { BacktestConfig, BacktestMetrics, BacktestTrade } from '../../server/core/backtest/types';
import { compareMeans, finerScale, isWholeAt, MAX_TICK_PERIOD, scaleCap } from '../../server/core/indicators/decimal-ticks';

export interface SmaCrossoverKernelParams {
  fastPeriod: number;
  slowPeriod: number;
  positionSizePct?: number;
}

export interface KernelResult {
  trades: BacktestTrade[];
  finalEquity: number;
  metrics: BacktestMetrics;
}

export function runSmaCrossoverKernel(series: CandleSeries, params: SmaCrossoverKernelParams, config: BacktestConfig): KernelResult {
  const { fastPeriod, slowPeriod } = params;
  const positionSizePct = params.positionSizePct ?? 100;
  const { initialCapital, feeRate, slippage } = config;
  const timeframeMs = timeframeToMs(config.timeframe);
  const n = series.length;
  const { time, open, close } = series;
  const trades: BacktestTrade[] = [];

  if (!(slowPeriod <= MAX_TICK_PERIOD && fastPeriod <= MAX_TICK_PERIOD)) throw new RangeError(`periods above ${MAX_TICK_PERIOD}`);
  // Running sums of the closes in integer ticks of `scale`, by decimal-ticks.ts's rule (the engine's TickSums):
  // a new largest |close| may lower the cap (and the scale), a close not whole at the scale makes it finer; on a
  // change both sums are recomputed from their windows.
  let scale = 1;
  let cap = 1;
  let maxAbs = 0;
  let fastSum = 0;
  let slowSum = 0;
  let order = Number.NaN; // sign of SMA(fast) − SMA(slow), exact; NaN while either warms up
  const resum = (i: number) => {
    fastSum = slowSum = 0;
    for (let k = Math.max(0, i - fastPeriod); k < i; k++) fastSum += Math.round(close[k]! * scale);
    for (let k = Math.max(0, i - slowPeriod); k < i; k++) slowSum += Math.round(close[k]! * scale);
  };

  let cash = initialCapital;
  let quantity = 0;
  let entryPrice = 0;
  let entryCost = 0;
  let entryFee = 0;
  let entryTime = 0;
  let pending = 0;
  let exposedBars = 0;

  // Online metrics over bar-close equity.
  let previousEquity = Number.NaN;
  let returnCount = 0;
  let returnMean = 0;
  let returnM2 = 0;
  let downsideSquares = 0;
  let peak = Number.NaN;
  let maxDrawdown = 0;

  const sell = (i: number, referencePrice: number, exitReason: 'signal' | 'end') => {
    const fillPrice = marketFillPrice('sell', referencePrice, slippage);
    const proceeds = fillPrice * quantity;
    const fee = tradeFee(feeRate, fillPrice, quantity);
    cash += proceeds - fee;
    const invested = entryCost + entryFee;
    const pnl = proceeds - fee - invested;
    trades.push({
      entryTime,
      exitTime: time[i]!,
      entryPrice,
      exitPrice: fillPrice,
      quantity,
      fee: entryFee + fee,
      pnl,
      pnlPct: (pnl / invested) * 100,
      exitReason,
    });
    quantity = 0;
  };

  for (let i = 0; i < n; i++) {
    if (pending > 0) {
      const fillPrice = marketFillPrice('buy', open[i]!, slippage);
      quantity = entryQuantity(cash, positionSizePct, fillPrice, feeRate);
      entryCost = fillPrice * quantity;
      entryFee = tradeFee(feeRate, fillPrice, quantity);
      cash -= entryCost + entryFee;
      entryPrice = fillPrice;
      entryTime = time[i]!;
    } else if (pending < 0) {
      sell(i, open[i]!, 'signal');
    }
    pending = 0;

    const c = close[i]!;
    const previousOrder = order;
    let nextScale = scale;
    if (Math.abs(c) > maxAbs) {
      maxAbs = Math.abs(c);
      cap = scaleCap(maxAbs);
      if (nextScale > cap) nextScale = cap;
    }
    if (nextScale < cap && !isWholeAt(c, nextScale)) nextScale = finerScale(c, nextScale, cap);
    if (nextScale !== scale) {
      scale = nextScale;
      resum(i);
    }
    const ticks = Math.round(c * scale);
    if (i >= fastPeriod) fastSum -= Math.round(close[i - fastPeriod]! * scale);
    fastSum += ticks;
    if (i >= slowPeriod) slowSum -= Math.round(close[i - slowPeriod]! * scale);
    slowSum += ticks;
    order = i + 1 >= fastPeriod && i + 1 >= slowPeriod ? compareMeans(fastSum, fastPeriod, slowSum, slowPeriod) : Number.NaN;
    if (i + 1 < n) {
      if (quantity === 0) {
        if (order > 0 && previousOrder <= 0) pending = 1;
      } else if (order < 0 && previousOrder >= 0) pending = -1;
    }

    let equity: number;
    if (quantity > 0) {
      exposedBars++;
      if (i + 1 === n) {
        sell(i, c, 'end');
        equity = cash;
      } else equity = cash + quantity * c;
    } else equity = cash;

    if (i > 0) {
      const r = previousEquity > 0 ? equity / previousEquity - 1 : 0;
      returnCount++;
      const delta = r - returnMean;
      returnMean += delta / returnCount;
      returnM2 += delta * (r - returnMean);
      if (r < 0) downsideSquares += r * r;
    }
    if (!(equity <= peak)) peak = equity;
    else if (peak > 0 && (peak - equity) / peak > maxDrawdown) maxDrawdown = (peak - equity) / peak;
    previousEquity = equity;
  }

  const finalEquity = n > 0 ? previousEquity : initialCapital;
  const annualise = annualisationFactor(timeframeMs);
  const deviation = returnCount > 1 ? Math.sqrt(returnM2 / (returnCount - 1)) : 0;
  const downside = returnCount > 0 ? Math.sqrt(downsideSquares / returnCount) : 0;
  const years = n > 0 ? (time[n - 1]! + timeframeMs - time[0]!) / MS_PER_YEAR : 0;
  const growth = finalEquity / initialCapital;
  const cagrPct = years > 0 ? (growth > 0 ? (Math.pow(growth, 1 / years) - 1) * 100 : -100) : 0;
  let wins = 0;
  let grossProfit = 0;
  let grossLoss = 0;
  let pnlPctSum = 0;
  for (const t of trades) {
    if (t.pnl > 0) {
      wins++;
      grossProfit += t.pnl;
    } else if (t.pnl < 0) grossLoss -= t.pnl;
    pnlPctSum += t.pnlPct;
  }
  const maxDrawdownPct = maxDrawdown * 100;
  return {
    trades,
    finalEquity,
    metrics: {
      totalReturnPct: (finalEquity / initialCapital - 1) * 100,
      cagrPct,
      sharpeRatio: deviation > 0 ? (returnMean / deviation) * annualise : 0,
      sortinoRatio: downside > 0 ? (returnMean / downside) * annualise : 0,
      maxDrawdownPct,
      calmarRatio: maxDrawdownPct > 0 ? cagrPct / maxDrawdownPct : 0,
      tradeCount: trades.length,
      winRatePct: trades.length > 0 ? (wins / trades.length) * 100 : 0,
      profitFactor: grossLoss > 0 ? grossProfit / grossLoss : null,
      averageTradePct: trades.length > 0 ? pnlPctSum / trades.length : 0,
      exposurePct: n > 0 ? (exposedBars / n) * 100 : 0,
      buyAndHoldReturnPct: buyAndHoldReturnPct(series, initialCapital, feeRate, slippage),
    },
  };
}
