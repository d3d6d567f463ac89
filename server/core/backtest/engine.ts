import type { CandleSeries } from '../candles';
import { newColumn, ownValue } from '../intrinsics';
import { entryQuantity, marketFillPrice, tradeFee } from '../fill-model';
import { timeframeToMs } from '../timeframe';
import type { PositionView, StrategyInstance } from '../strategies/types';
import { buyAndHoldReturnPct, computeMetrics } from './metrics';
import { EXIT_END, EXIT_SIGNAL, EXIT_STOP_LOSS, EXIT_TAKE_PROFIT, EXIT_TRAILING_STOP, FILL_ADD, FILL_ENTRY, FILL_EXIT, FillLog, TradeLog } from './trade-log';
import {
  BacktestCancelledError,
  type BacktestConfig,
  type BacktestMetrics,
  type BacktestOptions,
  type BacktestResult,
  type BacktestTrade,
  type TradeMarker,
} from './types';

/** Bump when a change alters any number a backtest produces; stored with each backtest row. */
export const ENGINE_VERSION = 2;

/** A fixed-amount (DCA) buy is skipped when less cash than this fraction of the initial capital is left (dust). */
const DUST_FRACTION = 1e-9;
const CANCEL_CHECK_BARS = 8192;

/** The engine's mutable position; handed to the strategy as a read-only PositionView. */
class OpenPosition implements PositionView {
  entryPrice = 0;
  entryTime = 0;
  quantity = 0;
}

export function validateBacktestConfig(config: BacktestConfig): void {
  const { initialCapital, feeRate, slippage } = config;
  if (!(Number.isFinite(initialCapital) && initialCapital > 0)) throw new RangeError(`initialCapital must be a positive number, got ${initialCapital}`);
  if (!(Number.isFinite(feeRate) && feeRate >= 0 && feeRate < 1)) throw new RangeError(`feeRate must be in [0, 1), got ${feeRate}`);
  if (!(Number.isFinite(slippage) && slippage >= 0 && slippage < 1)) throw new RangeError(`slippage must be in [0, 1), got ${slippage}`);
  timeframeToMs(config.timeframe);
}

/**
 * One pass over a columnar series (already sliced to start ≤ time < end). Exact semantics: docs/backtesting.md.
 * Per bar i: (1) the order decided on bar i − 1 fills at open[i]; (2) stop loss / trailing stop / take profit
 * are checked against low[i]/high[i] unless the position filled on this bar; (3) the strategy decides on
 * bar i's close; (4) equity[i] = cash + quantity × close[i]. Memory: the equity array (8 bytes per bar) plus
 * 72 bytes per trade and 40 per fill (TradeLog, FillLog: no object per trade or fill); the strategy keeps O(1)
 * streaming state.
 */
export function runBacktest(series: CandleSeries, strategy: StrategyInstance, config: BacktestConfig, options: BacktestOptions = {}): BacktestResult {
  validateBacktestConfig(config);
  const { initialCapital, feeRate, slippage } = config;
  const timeframeMs = timeframeToMs(config.timeframe);
  const n = series.length;
  const { time, open, high, low, close } = series;
  const { positionSizePct, stopLossPct, takeProfitPct, trailingStopPct } = strategy.params;
  const accumulates = strategy.accumulates;
  const fixedEntryQuote = strategy.fixedEntryQuote;
  const hasStopLoss = stopLossPct !== null;
  const hasTakeProfit = takeProfitPct !== null;
  const hasTrailing = trailingStopPct !== null;
  const hasRiskExits = hasStopLoss || hasTakeProfit || hasTrailing;
  const dust = initialCapital * DUST_FRACTION;

  // The options' own properties only, and the equity column made through an intrinsic (core/intrinsics.ts): in a
  // script's isolate the script may have put an `indicatorColumns`, `useColumns` or `equityBuffer` on Object.prototype
  // or replaced Float64Array, to be handed the series (every bar) or the equity (which gives back the closes).
  const equityBuffer = ownValue(options, 'equityBuffer');
  const indicatorColumns = ownValue(options, 'indicatorColumns');
  const onProgress = ownValue(options, 'onProgress');
  const shouldCancel = ownValue(options, 'shouldCancel');
  if (equityBuffer !== undefined && equityBuffer.length < n) throw new RangeError(`equityBuffer holds ${equityBuffer.length} values, the series has ${n} bars`);
  const equity = equityBuffer === undefined ? newColumn(n) : equityBuffer.length === n ? equityBuffer : equityBuffer.subarray(0, n);
  const trades = new TradeLog();
  const fills = new FillLog();
  const position = new OpenPosition();
  const ctx = { series, index: 0 };

  let cash = initialCapital;
  let quantity = 0; // base units held; 0 when flat
  let entryCost = 0; // Σ buy fill price × quantity, quote
  let entryFees = 0; // Σ buy fees, quote
  let entryPrice = 0; // buy fill price (average for DCA adds)
  let stopPrice = -Infinity; // sell when low ≤ this
  let targetPrice = Infinity; // sell when high ≥ this
  let highestPrice = -Infinity; // highest of the entry fill price and the highs since entry, for the trailing stop
  let lastFillIndex = -1; // bar whose open the latest buy filled on: no risk checks on it
  let pending = 0; // +1 buy, −1 sell at the next bar's open
  let exposedBars = 0;

  const progressStep = Math.max(1, Math.ceil(n / 100));
  const checkEvery = Math.min(progressStep, CANCEL_CHECK_BARS);
  let nextCheck = checkEvery;
  let nextProgress = progressStep;

  strategy.reset();
  if (indicatorColumns !== undefined && strategy.useColumns !== undefined) strategy.useColumns(series, indicatorColumns);

  const buy = (i: number): void => {
    const fillPrice = marketFillPrice('buy', open[i]!, slippage);
    let boughtQuantity: number;
    if (fixedEntryQuote === null) {
      boughtQuantity = entryQuantity(cash, positionSizePct, fillPrice, feeRate);
    } else {
      const spend = Math.min(fixedEntryQuote, cash);
      if (spend <= dust) return;
      boughtQuantity = entryQuantity(spend, 100, fillPrice, feeRate);
    }
    const cost = fillPrice * boughtQuantity;
    const fee = tradeFee(feeRate, fillPrice, boughtQuantity);
    cash -= cost + fee;
    const adding = quantity > 0;
    if (adding) {
      quantity += boughtQuantity;
      entryCost += cost;
      entryFees += fee;
      entryPrice = entryCost / quantity;
      if (fillPrice > highestPrice) highestPrice = fillPrice;
    } else {
      quantity = boughtQuantity;
      entryCost = cost;
      entryFees = fee;
      entryPrice = fillPrice;
      highestPrice = fillPrice;
      position.entryTime = time[i]!;
    }
    position.entryPrice = entryPrice;
    position.quantity = quantity;
    if (hasStopLoss) stopPrice = entryPrice * (1 - stopLossPct / 100);
    if (hasTakeProfit) targetPrice = entryPrice * (1 + takeProfitPct / 100);
    lastFillIndex = i;
    fills.push(i, time[i]!, fillPrice, boughtQuantity, adding ? FILL_ADD : FILL_ENTRY);
  };

  /** exitReason: an EXIT_* code (trade-log.ts) */
  const sell = (i: number, referencePrice: number, exitReason: number): void => {
    const fillPrice = marketFillPrice('sell', referencePrice, slippage);
    const proceeds = fillPrice * quantity;
    const fee = tradeFee(feeRate, fillPrice, quantity);
    cash += proceeds - fee;
    const invested = entryCost + entryFees;
    const pnl = proceeds - fee - invested;
    trades.push(position.entryTime, time[i]!, entryPrice, fillPrice, quantity, entryFees + fee, pnl, (pnl / invested) * 100, exitReason);
    fills.push(i, time[i]!, fillPrice, quantity, FILL_EXIT + exitReason);
    quantity = 0;
    position.quantity = 0;
    stopPrice = -Infinity;
    targetPrice = Infinity;
    highestPrice = -Infinity;
  };

  for (let i = 0; i < n; i++) {
    if (i === nextCheck) {
      nextCheck += checkEvery;
      if (shouldCancel !== undefined && shouldCancel()) throw new BacktestCancelledError();
      if (i >= nextProgress) {
        nextProgress += progressStep;
        if (onProgress !== undefined) onProgress(i / n);
      }
    }

    // 1. The decision of bar i − 1 fills at this bar's open.
    if (pending !== 0) {
      if (pending > 0) buy(i);
      else sell(i, open[i]!, EXIT_SIGNAL);
      pending = 0;
    }

    // 2. Stop loss / trailing stop / take profit on bars after the fill bar; a bar touching both: the stop.
    if (quantity > 0 && hasRiskExits) {
      if (i > lastFillIndex) {
        const trailingPrice = hasTrailing ? highestPrice * (1 - trailingStopPct / 100) : -Infinity;
        const stopLevel = stopPrice >= trailingPrice ? stopPrice : trailingPrice;
        if (low[i]! <= stopLevel) {
          const barOpen = open[i]!;
          sell(i, barOpen <= stopLevel ? barOpen : stopLevel, stopPrice >= trailingPrice ? EXIT_STOP_LOSS : EXIT_TRAILING_STOP);
        } else if (high[i]! >= targetPrice) {
          const barOpen = open[i]!;
          sell(i, barOpen >= targetPrice ? barOpen : targetPrice, EXIT_TAKE_PROFIT);
        }
      }
      // The trailing reference moves after the bar is checked.
      if (quantity > 0 && high[i]! > highestPrice) highestPrice = high[i]!;
    }

    // 3. The strategy decides on bar i's close; a decision on the last bar is never filled.
    ctx.index = i;
    const decision = strategy.onBar(ctx, quantity > 0 ? position : null);
    if (decision !== null && i + 1 < n) {
      if (decision === 'enter') {
        if (quantity === 0 || accumulates) pending = 1;
      } else if (quantity > 0) pending = -1;
    }

    // 4. Bar-close equity.
    if (quantity > 0) {
      exposedBars++;
      equity[i] = cash + quantity * close[i]!;
    } else equity[i] = cash;
  }

  if (n > 0 && quantity > 0) {
    sell(n - 1, close[n - 1]!, EXIT_END);
    equity[n - 1] = cash;
  }
  if (onProgress !== undefined && n > 0) onProgress(1);

  const metrics = computeMetrics({
    equity,
    trades,
    initialCapital,
    timeframeMs,
    firstTime: n > 0 ? time[0]! : 0,
    lastTime: n > 0 ? time[n - 1]! : 0,
    exposedBars,
    buyAndHoldReturnPct: buyAndHoldReturnPct(series, initialCapital, feeRate, slippage),
  });
  return new EngineResult(equity, metrics, trades, fills);
}

/** The result: compact logs, with the object arrays built on first read (see BacktestResult). */
export class EngineResult implements BacktestResult {
  #trades: BacktestTrade[] | undefined;
  #markers: TradeMarker[] | undefined;

  constructor(
    readonly equity: Float64Array,
    readonly metrics: BacktestMetrics,
    readonly tradeLog: TradeLog,
    readonly fillLog: FillLog,
  ) {}

  get trades(): BacktestTrade[] {
    return (this.#trades ??= this.tradeLog.toArray());
  }

  get markers(): TradeMarker[] {
    return (this.#markers ??= this.fillLog.toArray());
  }
}
