import type { CandleSeries } from '../candles';
import { entryQuantity, marketFillPrice, tradeFee } from '../fill-model';
import { timeframeToMs } from '../timeframe';
import type { PositionView, StrategyInstance } from '../strategies/types';
import { validateBacktestConfig } from './engine';
import { admitCandidates, entrySpend, touchedRiskExit, type EntryPriority, type SlotRules, type StakeRule } from './portfolio-rules';
import { buyAndHoldReturnPct, computeMetrics } from './metrics';
import { EXIT_END, EXIT_SIGNAL, EXIT_STOP_LOSS, EXIT_TAKE_PROFIT, EXIT_TRAILING_STOP, FILL_ENTRY, FILL_EXIT, FillLog, TradeLog } from './trade-log';
import { BacktestCancelledError, type BacktestConfig, type BacktestMetrics, type BacktestOptions, type BacktestTrade, type TradeMarker } from './types';

/**
 * The portfolio engine: one strategy over a pair list with shared capital. Exact semantics: docs/backtesting.md,
 * "Pair lists" (rules P1–P8, referenced below). Pure, no I/O; the single-pair engine (engine.ts) is untouched. The
 * rules it shares with the live portfolio machine (risk exits, slot priority, stakes) are portfolio-rules.ts'.
 */

/** Most pairs in one list (docs/backtesting.md, Pair lists, Limits). */
export const MAX_PAIRS = 100;
/** Most positions held at once. */
export const MAX_OPEN_POSITIONS = 100;

export type { EntryPriority, StakeRule };

export interface PortfolioConfig extends BacktestConfig {
  /** most pairs held at once, 1..MAX_OPEN_POSITIONS */
  readonly maxOpenPositions: number;
  /** quote spent per entry, fee included (P4) */
  readonly stake: StakeRule;
  /** which candidates take the free slots first when more signal than there are slots (P3); default 'list' */
  readonly priority?: EntryPriority;
}

export interface PortfolioPair {
  readonly symbol: string;
  /** this pair's bars, sliced to start ≤ time < end, ascending */
  readonly series: CandleSeries;
  /** this pair's own instance (one per pair: instances keep streaming state) */
  readonly strategy: StrategyInstance;
}

export interface PairBreakdown {
  readonly symbol: string;
  readonly tradeCount: number;
  readonly winRatePct: number;
  /** Σ pnl ÷ Σ (entry cost + entry fees) × 100 over the pair's trades */
  readonly returnPct: number;
  /** Σ pnl ÷ initial capital × 100 */
  readonly contributionPct: number;
  /** Σ pnl of the pair's trades, quote */
  readonly pnl: number;
  /** gross profit ÷ gross loss of the pair's trades; null when none lost */
  readonly profitFactor: number | null;
  readonly averageTradePct: number;
  /** the pair's running contribution at each of its bars' close, quote (P7); same length as its series */
  readonly equity: Float64Array;
}

export type PortfolioTrade = BacktestTrade & { readonly symbol: string };
export type PortfolioMarker = TradeMarker & { readonly symbol: string };

export interface PortfolioResult {
  /** open time of each step (the union of the pairs' bar times), ms UTC */
  readonly time: Float64Array;
  /** portfolio equity at each step's close, quote (P7) */
  readonly equity: Float64Array;
  readonly metrics: BacktestMetrics;
  /** the per-pair breakdown, in list order */
  readonly pairs: readonly PairBreakdown[];
  /** every round trip of every pair, in the order they closed (P8) */
  readonly tradeLog: TradeLog;
  /** the pair (index in the list) of each trade of tradeLog */
  readonly tradePair: Int32Array;
  readonly fillLog: FillLog;
  /** the pair of each fill of fillLog */
  readonly fillPair: Int32Array;
  /** built from the logs on first read */
  readonly trades: PortfolioTrade[];
  readonly markers: PortfolioMarker[];
}

const DUST_FRACTION = 1e-9;
const CANCEL_CHECK_STEPS = 8192;

/** Throws RangeError naming the first bad setting or pair (`pairs[3]`, `maxOpenPositions`, `stake.pct`, …). */
export function validatePortfolio(pairs: readonly PortfolioPair[], config: PortfolioConfig): void {
  validateBacktestConfig(config);
  if (pairs.length < 1 || pairs.length > MAX_PAIRS) throw new RangeError(`pairs: a pair list holds 1 to ${MAX_PAIRS} pairs, got ${pairs.length}`);
  const seen = new Map<string, number>();
  pairs.forEach((pair, index) => {
    const first = seen.get(pair.symbol);
    if (first !== undefined) throw new RangeError(`pairs[${index}]: ${pair.symbol} is already pairs[${first}]`);
    seen.set(pair.symbol, index);
    if (pair.strategy.accumulates) throw new RangeError(`pairs[${index}]: accumulating strategies (DCA) cannot trade a pair list`);
    if (config.priority === 'score' && pair.strategy.entryScore === undefined) throw new RangeError(`priority: the strategy has no entry score; use 'list'`);
  });
  const { maxOpenPositions, stake } = config;
  if (!(Number.isInteger(maxOpenPositions) && maxOpenPositions >= 1 && maxOpenPositions <= MAX_OPEN_POSITIONS))
    throw new RangeError(`maxOpenPositions must be an integer from 1 to ${MAX_OPEN_POSITIONS}, got ${maxOpenPositions}`);
  if (stake.type === 'fixed' && !(Number.isFinite(stake.quote) && stake.quote > 0))
    throw new RangeError(`stake.quote must be a positive number, got ${stake.quote}`);
  if (stake.type === 'pct_equity' && !(Number.isFinite(stake.pct) && stake.pct > 0 && stake.pct <= 100))
    throw new RangeError(`stake.pct must be in (0, 100], got ${stake.pct}`);
}

/** One pair's book: its position, pending orders and running totals. Mutable; the strategy sees it as a PositionView. */
class PairBook implements PositionView {
  entryPrice = 0;
  entryTime = 0;
  quantity = 0;
  entryCost = 0;
  entryFees = 0;
  stopPrice = -Infinity;
  targetPrice = Infinity;
  highestPrice = -Infinity;
  /** bar index whose open the entry filled on: no risk checks on it */
  lastFillIndex = -1;
  pendingExit = false;
  pendingEntry = false;
  /** quote to spend on the pending entry, fee included (P4) */
  pendingStake = 0;
  /** next bar index of this pair's series */
  cursor = 0;
  lastClose = 0;
  realizedPnl = 0;
  invested = 0;
  tradeCount = 0;
  wins = 0;
  grossProfit = 0;
  grossLoss = 0;
  pnlPctSum = 0;
  readonly ctx: { series: CandleSeries; index: number };
  readonly equity: Float64Array;
  /** the series' columns and length, held here so the per-step loops read one object */
  readonly time: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly length: number;
  readonly strategy: StrategyInstance;
  readonly stopLossPct: number | null;
  readonly takeProfitPct: number | null;
  readonly trailingStopPct: number | null;

  constructor(
    readonly pair: PortfolioPair,
    readonly index: number,
  ) {
    this.ctx = { series: pair.series, index: 0 };
    this.equity = new Float64Array(pair.series.length);
    this.time = pair.series.time;
    this.open = pair.series.open;
    this.high = pair.series.high;
    this.low = pair.series.low;
    this.close = pair.series.close;
    this.length = pair.series.length;
    this.strategy = pair.strategy;
    this.stopLossPct = pair.strategy.params.stopLossPct;
    this.takeProfitPct = pair.strategy.params.takeProfitPct;
    this.trailingStopPct = pair.strategy.params.trailingStopPct;
  }
}

/** Pair indices in push order, growing by doubling. */
class IndexColumn {
  length = 0;
  private values = new Int32Array(256);
  push(value: number): void {
    if (this.length === this.values.length) {
      const grown = new Int32Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = value;
  }
  view(): Int32Array {
    return this.values.subarray(0, this.length);
  }
}

/** The distinct times over the pairs' ascending time columns, ascending (the steps, P1). */
function stepTimes(books: readonly PairBook[]): Float64Array {
  const cursors = new Int32Array(books.length);
  let times = new Float64Array(books.reduce((most, b) => Math.max(most, b.length), 0));
  let steps = 0;
  for (;;) {
    let t = Infinity;
    for (let p = 0; p < books.length; p++) {
      const book = books[p]!;
      if (cursors[p]! < book.length && book.time[cursors[p]!]! < t) t = book.time[cursors[p]!]!;
    }
    if (t === Infinity) return times.subarray(0, steps);
    if (steps === times.length) {
      const grown = new Float64Array(times.length * 2);
      grown.set(times);
      times = grown;
    }
    times[steps++] = t;
    for (let p = 0; p < books.length; p++) {
      const book = books[p]!;
      if (cursors[p]! < book.length && book.time[cursors[p]!] === t) cursors[p]!++;
    }
  }
}

export function runPortfolioBacktest(
  pairs: readonly PortfolioPair[],
  config: PortfolioConfig,
  options: Omit<BacktestOptions, 'indicatorColumns' | 'equityBuffer'> = {},
): PortfolioResult {
  validatePortfolio(pairs, config);
  const { initialCapital, feeRate, slippage, maxOpenPositions, stake } = config;
  const slotRules: SlotRules = { maxOpenPositions, stake, priority: config.priority ?? 'list' };
  const byScore = slotRules.priority === 'score';
  const timeframeMs = timeframeToMs(config.timeframe);
  const dust = initialCapital * DUST_FRACTION;
  const pairCount = pairs.length;
  const books = pairs.map((pair, index) => new PairBook(pair, index));
  const stepTime = stepTimes(books);
  const stepCount = stepTime.length;
  const equity = new Float64Array(stepCount);
  const trades = new TradeLog();
  const fills = new FillLog();
  const tradePair = new IndexColumn();
  const fillPair = new IndexColumn();

  let cash = initialCapital;
  let held = 0; // pairs holding a position
  let pendingExits = 0;
  /** admitted entries not yet filled, in admission order (P3): the first admittedCount */
  const admitted = new Array<PairBook>(pairCount);
  let admittedCount = 0;
  /** pairs with a bar at the current step, in list order: the first activeCount of a step */
  const active = new Array<PairBook>(pairCount);
  const candidates = new Array<PairBook>(pairCount);
  const scores = new Float64Array(pairCount);
  let exposedSteps = 0;

  const progressStep = Math.max(1, Math.ceil(stepCount / 100));
  const checkEvery = Math.min(progressStep, CANCEL_CHECK_STEPS);
  let nextCheck = checkEvery;
  let nextProgress = progressStep;
  const { onProgress, shouldCancel } = options;

  for (const book of books) book.strategy.reset();

  const buy = (book: PairBook, i: number): void => {
    const series = book.pair.series;
    const fillPrice = marketFillPrice('buy', series.open[i]!, slippage);
    const spend = entrySpend(book.pendingStake, cash, dust);
    if (spend === 0) return;
    const quantity = entryQuantity(spend, 100, fillPrice, feeRate);
    const cost = fillPrice * quantity;
    const fee = tradeFee(feeRate, fillPrice, quantity);
    cash -= cost + fee;
    held++;
    book.quantity = quantity;
    book.entryCost = cost;
    book.entryFees = fee;
    book.entryPrice = fillPrice;
    book.highestPrice = fillPrice;
    book.entryTime = series.time[i]!;
    if (book.stopLossPct !== null) book.stopPrice = fillPrice * (1 - book.stopLossPct / 100);
    if (book.takeProfitPct !== null) book.targetPrice = fillPrice * (1 + book.takeProfitPct / 100);
    book.lastFillIndex = i;
    fills.push(i, series.time[i]!, fillPrice, quantity, FILL_ENTRY);
    fillPair.push(book.index);
  };

  const sell = (book: PairBook, i: number, referencePrice: number, exitReason: number): void => {
    const time = book.pair.series.time[i]!;
    const quantity = book.quantity;
    const fillPrice = marketFillPrice('sell', referencePrice, slippage);
    const proceeds = fillPrice * quantity;
    const fee = tradeFee(feeRate, fillPrice, quantity);
    cash += proceeds - fee;
    const invested = book.entryCost + book.entryFees;
    const pnl = proceeds - fee - invested;
    const pnlPct = (pnl / invested) * 100;
    trades.push(book.entryTime, time, book.entryPrice, fillPrice, quantity, book.entryFees + fee, pnl, pnlPct, exitReason);
    tradePair.push(book.index);
    fills.push(i, time, fillPrice, quantity, FILL_EXIT + exitReason);
    fillPair.push(book.index);
    held--;
    book.realizedPnl += pnl;
    book.invested += invested;
    book.tradeCount++;
    book.pnlPctSum += pnlPct;
    if (pnl > 0) {
      book.wins++;
      book.grossProfit += pnl;
    } else if (pnl < 0) book.grossLoss -= pnl;
    book.quantity = 0;
    book.stopPrice = -Infinity;
    book.targetPrice = Infinity;
    book.highestPrice = -Infinity;
  };

  const pairOf = (book: PairBook): number => book.index;
  const scoreOf = (book: PairBook): number => scores[book.index]!;
  const admit = (book: PairBook, stakeQuote: number): void => {
    book.pendingEntry = true;
    book.pendingStake = stakeQuote;
    admitted[admittedCount++] = book;
  };

  for (let k = 0; k < stepCount; k++) {
    if (k === nextCheck) {
      nextCheck += checkEvery;
      if (shouldCancel !== undefined && shouldCancel()) throw new BacktestCancelledError();
      if (k >= nextProgress) {
        nextProgress += progressStep;
        if (onProgress !== undefined) onProgress(k / stepCount);
      }
    }

    // P1: the pairs with a bar at the step's time (fixed arrays with counts: no allocation per step).
    const t = stepTime[k]!;
    let activeCount = 0;
    for (let p = 0; p < pairCount; p++) {
      const book = books[p]!;
      if (book.cursor < book.length && book.time[book.cursor] === t) active[activeCount++] = book;
    }

    // P2.1: pending exits fill at the open.
    if (pendingExits > 0) {
      for (let a = 0; a < activeCount; a++) {
        const book = active[a]!;
        if (book.pendingExit) {
          sell(book, book.cursor, book.open[book.cursor]!, EXIT_SIGNAL);
          book.pendingExit = false;
          pendingExits--;
        }
      }
    }

    // P2.2: admitted entries fill at the open, in admission order; a pair without a bar now keeps its place.
    if (admittedCount > 0) {
      let kept = 0;
      for (let e = 0; e < admittedCount; e++) {
        const book = admitted[e]!;
        if (book.cursor < book.length && book.time[book.cursor] === t) {
          book.pendingEntry = false;
          buy(book, book.cursor);
        } else admitted[kept++] = book;
      }
      admittedCount = kept;
    }

    // P2.3 per pair with a bar, in list order.
    let candidateCount = 0;
    let endSales = 0;
    for (let a = 0; a < activeCount; a++) {
      const book = active[a]!;
      const i = book.cursor;

      // Stop loss / trailing stop / take profit (rule 6), never on the fill bar.
      if (book.quantity > 0) {
        if (i > book.lastFillIndex) {
          const exit = touchedRiskExit(book.open[i]!, book.high[i]!, book.low[i]!, book.stopPrice, book.trailingStopPct, book.highestPrice, book.targetPrice);
          if (exit !== null)
            sell(
              book,
              i,
              exit.referencePrice,
              exit.reason === 'stop_loss' ? EXIT_STOP_LOSS : exit.reason === 'trailing_stop' ? EXIT_TRAILING_STOP : EXIT_TAKE_PROFIT,
            );
        }
        if (book.quantity > 0 && book.high[i]! > book.highestPrice) book.highestPrice = book.high[i]!;
      }
      const close = book.close[i]!;
      book.lastClose = close;

      if (i === book.length - 1) {
        // P6: the pair's last bar: no decision (it could never fill); an open position is sold at the close.
        if (book.quantity > 0) {
          endSales++;
          sell(book, i, close, EXIT_END);
        }
      } else {
        // The decision at the close.
        book.ctx.index = i;
        const decision = book.strategy.onBar(book.ctx, book.quantity > 0 ? book : null);
        if (decision === 'exit') {
          if (book.quantity > 0 && !book.pendingExit) {
            book.pendingExit = true;
            pendingExits++;
          }
        } else if (decision === 'enter' && book.quantity === 0 && !book.pendingEntry) {
          if (byScore) scores[book.index] = book.strategy.entryScore!(book.ctx);
          candidates[candidateCount++] = book;
        }
      }

      // Per-pair equity (its running contribution) at this close; the cursor moves on.
      book.equity[i] = book.quantity > 0 ? book.realizedPnl + (book.quantity * close - (book.entryCost + book.entryFees)) : book.realizedPnl;
      book.cursor = i + 1;
    }
    // Exposure counts positions held at the close before end-of-data sales (as the single-pair engine).
    if (held + endSales > 0) exposedSteps++;

    // P2.4 / P7: equity at the close (held pairs valued at their latest close, list order).
    let stepEquity = cash;
    if (held > 0) {
      for (let p = 0; p < pairCount; p++) {
        const book = books[p]!;
        if (book.quantity > 0) stepEquity += book.quantity * book.lastClose;
      }
    }
    equity[k] = stepEquity;

    // P2.5 / P3 / P4: admission of candidates into the free slots, stakes from this close's equity.
    if (candidateCount > 0) admitCandidates(slotRules, held, pendingExits, admittedCount, stepEquity, candidates, candidateCount, pairOf, scoreOf, admit);
  }
  if (onProgress !== undefined && stepCount > 0) onProgress(1);

  let buyAndHoldSum = 0;
  for (const pair of pairs) buyAndHoldSum += buyAndHoldReturnPct(pair.series, initialCapital / pairCount, feeRate, slippage);
  const metrics = computeMetrics({
    equity,
    trades,
    initialCapital,
    timeframeMs,
    firstTime: stepCount > 0 ? stepTime[0]! : 0,
    lastTime: stepCount > 0 ? stepTime[stepCount - 1]! : 0,
    exposedBars: exposedSteps,
    buyAndHoldReturnPct: buyAndHoldSum / pairCount,
  });
  const breakdown: PairBreakdown[] = books.map((book) => ({
    symbol: book.pair.symbol,
    tradeCount: book.tradeCount,
    winRatePct: book.tradeCount > 0 ? (book.wins / book.tradeCount) * 100 : 0,
    returnPct: book.invested > 0 ? (book.realizedPnl / book.invested) * 100 : 0,
    contributionPct: (book.realizedPnl / initialCapital) * 100,
    pnl: book.realizedPnl,
    profitFactor: book.grossLoss > 0 ? book.grossProfit / book.grossLoss : null,
    averageTradePct: book.tradeCount > 0 ? book.pnlPctSum / book.tradeCount : 0,
    equity: book.equity,
  }));
  return new PortfolioEngineResult(
    stepTime,
    equity,
    metrics,
    breakdown,
    trades,
    tradePair.view(),
    fills,
    fillPair.view(),
    pairs.map((p) => p.symbol),
  );
}

class PortfolioEngineResult implements PortfolioResult {
  #trades: PortfolioTrade[] | undefined;
  #markers: PortfolioMarker[] | undefined;

  constructor(
    readonly time: Float64Array,
    readonly equity: Float64Array,
    readonly metrics: BacktestMetrics,
    readonly pairs: readonly PairBreakdown[],
    readonly tradeLog: TradeLog,
    readonly tradePair: Int32Array,
    readonly fillLog: FillLog,
    readonly fillPair: Int32Array,
    private readonly symbols: readonly string[],
  ) {}

  get trades(): PortfolioTrade[] {
    return (this.#trades ??= this.tradeLog.toArray().map((trade, i) => ({ ...trade, symbol: this.symbols[this.tradePair[i]!]! })));
  }

  get markers(): PortfolioMarker[] {
    return (this.#markers ??= this.fillLog.toArray().map((marker, i) => ({ ...marker, symbol: this.symbols[this.fillPair[i]!]! })));
  }
}
