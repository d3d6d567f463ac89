/**
 * The strategy machine: a strategy's per-bar state machine for a deployment (the worker's deployment machine loop
 * ticks it, server/services/deployments/tick.ts): the backtest engine's semantics (docs/backtesting.md), split into
 * phases that can wait for an exchange between them and whose whole state is plain JSON (kept in Postgres
 * between bars, so a restarted worker continues exactly where the last one stopped).
 *
 * Per closed bar j, the caller does these phases, in this order (the engine does the same in one loop):
 *   1. `pendingOrder(bar j)`   — the decision of the previous bar, to fill at bar j's open (the caller may
 *                                do this as soon as bar j OPENS: the price is known then);
 *   2. `riskExit(bar j)`       — stop loss / trailing stop / take profit touched inside bar j (not on the
 *                                bar a buy filled on), to fill at the stop or target level;
 *   3. `decide(strategy, …)`   — the strategy's decision on bar j's close, which becomes the pending order;
 *   4. `markClose(bar j)`      — bar-close equity, its peak (for the drawdown circuit breaker).
 * Every intent is executed by the caller (paper exchange, or a real one through ccxt) and reported back
 * with `applyFill` (what the exchange did) or `dropPending` (refused). Numbers are the fill model's
 * (server/core/fill-model.ts), the same as the engine's, so a paper deployment on a replay reproduces
 * the backtest of the same candles trade for trade.
 */
import type { CandleSeries } from '../candles';
import { entryQuantity, marketFillPrice, type Side } from '../fill-model';
import type { OrderIntent } from '../orders';
import type { BacktestTrade, ExitReason } from '../backtest/types';
import type { Decision, StrategyInstance } from '../strategies/types';
import { touchedRiskExit } from '../backtest/portfolio-rules';

/** A fixed-amount (DCA) buy is skipped when less cash than this fraction of the capital is left (the engine's dust). */
const DUST_FRACTION = 1e-9;

/**
 * A buy that spends all the deployment's cash is shaved by this fraction, so that float rounding can never
 * ask the account for 1 ulp more quote than it has: 1e-10 relative, far inside the 1e-9 the backtest
 * comparison allows. Partial buys (positionSizePct < 100, DCA amounts below the cash) are not shaved.
 */
export const BUY_QUANTITY_SHAVE = 1e-10;

export interface MachineState {
  /** Quote the deployment holds (its capital, minus buys and their fees, plus sales net of fees). */
  cash: number;
  /** Base held; 0 when flat. */
  quantity: number;
  entryCost: number;
  entryFees: number;
  /** Average buy fill price of the open position. */
  entryPrice: number;
  /** Open time of the bar the position's first buy filled on. */
  entryTime: number;
  stopPrice: number | null;
  targetPrice: number | null;
  highestPrice: number | null;
  /** Open time of the bar the latest buy filled on: no risk exit on that bar. */
  lastFillTime: number | null;
  /** The decision of bar `barTime`, to fill at the next bar's open. */
  pending: { side: Side; barTime: number; intent: OrderIntent } | null;
  /** Highest bar-close equity seen. */
  equityPeak: number;
  /** Last bar-close equity. */
  equity: number;
  /** Closed trades: count and realized P&L (net of all fees). */
  closedTrades: number;
  realizedPnl: number;
  /** 00:00 UTC of the day of the last bar processed, and the equity at that day's first bar (daily loss limit). */
  dayStartMs: number | null;
  dayStartEquity: number;
  /** Close of the last bar processed: the price a stop sells at when the feed has nothing newer. */
  lastClose: number | null;
}

/** A position's fields when flat (a new deployment's, a new pair's). */
export const FLAT_POSITION = {
  quantity: 0,
  entryCost: 0,
  entryFees: 0,
  entryPrice: 0,
  entryTime: 0,
  stopPrice: null,
  targetPrice: null,
  highestPrice: null,
  lastFillTime: null,
} as const;

export function initialMachineState(capital: number): MachineState {
  if (!(Number.isFinite(capital) && capital > 0)) throw new RangeError(`capital must be a positive number, got ${capital}`);
  return {
    cash: capital,
    ...FLAT_POSITION,
    pending: null,
    equityPeak: capital,
    equity: capital,
    closedTrades: 0,
    realizedPnl: 0,
    dayStartMs: null,
    dayStartEquity: capital,
    lastClose: null,
  };
}

/** A position as the machines book it (the strategy machine's state, a portfolio machine's pair). */
export type BookedPosition = Pick<
  MachineState,
  | 'quantity'
  | 'entryCost'
  | 'entryFees'
  | 'entryPrice'
  | 'entryTime'
  | 'stopPrice'
  | 'targetPrice'
  | 'highestPrice'
  | 'lastFillTime'
  | 'closedTrades'
  | 'realizedPnl'
>;

/**
 * Books what the exchange did on a position: a buy opens it (or adds to it: an accumulating strategy), a sale
 * closes it (or, a real exchange having filled part of it, keeps the rest with its share of the cost basis) and
 * returns its trade. The cash is the caller's (a deployment's, shared by a portfolio's pairs): `cashChange` is what
 * the fill did to it.
 */
export function bookFill(
  position: BookedPosition,
  fill: MachineFill,
  risk: { stopLossPct: number | null; takeProfitPct: number | null },
  exitReason: MachineTrade['exitReason'],
): { cashChange: number; trade: MachineTrade | null } {
  const p = position;
  const cost = fill.price * fill.quantity;
  if (fill.side === 'buy') {
    if (p.quantity > 0) {
      p.quantity += fill.quantity;
      p.entryCost += cost;
      p.entryFees += fill.fee;
      p.entryPrice = p.entryCost / p.quantity;
      if (p.highestPrice === null || fill.price > p.highestPrice) p.highestPrice = fill.price;
    } else {
      p.quantity = fill.quantity;
      p.entryCost = cost;
      p.entryFees = fill.fee;
      p.entryPrice = fill.price;
      p.highestPrice = fill.price;
      p.entryTime = fill.time;
    }
    if (risk.stopLossPct !== null) p.stopPrice = p.entryPrice * (1 - risk.stopLossPct / 100);
    if (risk.takeProfitPct !== null) p.targetPrice = p.entryPrice * (1 + risk.takeProfitPct / 100);
    p.lastFillTime = fill.time;
    return { cashChange: -(cost + fill.fee), trade: null };
  }
  const share = Math.min(1, fill.quantity / p.quantity);
  const invested = (p.entryCost + p.entryFees) * share;
  const pnl = cost - fill.fee - invested;
  const trade: MachineTrade = {
    entryTime: p.entryTime,
    exitTime: fill.time,
    entryPrice: p.entryPrice,
    exitPrice: fill.price,
    quantity: fill.quantity,
    fee: p.entryFees * share + fill.fee,
    pnl,
    pnlPct: invested > 0 ? (pnl / invested) * 100 : 0,
    exitReason,
  };
  const remaining = p.quantity - fill.quantity;
  if (remaining > p.quantity * 1e-9) {
    // A partial sale (a real exchange filled part of it): the rest keeps its share of the cost basis.
    const kept = remaining / p.quantity;
    p.entryCost *= kept;
    p.entryFees *= kept;
    p.quantity = remaining;
  } else {
    p.quantity = 0;
    p.entryCost = 0;
    p.entryFees = 0;
    p.entryPrice = 0;
    p.stopPrice = null;
    p.targetPrice = null;
    p.highestPrice = null;
  }
  p.closedTrades++;
  p.realizedPnl += pnl;
  return { cashChange: cost - fill.fee, trade };
}

export interface MachineBar {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
}

/** An order the machine wants: a market order whose fill model reference price is `referencePrice`. */
export interface MachineOrder {
  side: Side;
  intent: OrderIntent;
  /** Open time of the bar that decided it (with the deployment and intent, its clientOrderId). */
  decidedOn: number;
  /** Bar whose open (or, for risk exits, inside which) it fills: the trade's time. */
  fillBarTime: number;
  /** The price the fill model starts from: the bar's open, or the stop/target level. */
  referencePrice: number;
  /** Base quantity (> 0). */
  quantity: number;
  /** Exit reason of a sale, as the backtest names it. */
  exitReason?: 'signal' | 'stop_loss' | 'take_profit' | 'trailing_stop';
}

/** What the exchange did with a machine order. */
export interface MachineFill {
  side: Side;
  quantity: number;
  price: number;
  /** In quote. */
  fee: number;
  /** Open time of the bar it filled on. */
  time: number;
}

export interface MachineParams {
  capital: number;
  feeRate: number;
  slippage: number;
}

/** The closed trade a sale completes: the engine's BacktestTrade; a stop that closes the position says 'close'. */
export type MachineTrade = Omit<BacktestTrade, 'exitReason'> & { exitReason: ExitReason | 'close' };

export class StrategyMachine {
  constructor(
    readonly state: MachineState,
    private readonly strategy: StrategyInstance,
    private readonly params: MachineParams,
  ) {}

  /** The pending decision as an order filling at `bar`'s open, or null. Buys are sized from the cash now. */
  pendingOrder(bar: MachineBar): MachineOrder | null {
    const pending = this.state.pending;
    if (pending === null) return null;
    if (pending.side === 'sell') {
      if (this.state.quantity <= 0) return this.drop();
      return {
        side: 'sell',
        intent: pending.intent,
        decidedOn: pending.barTime,
        fillBarTime: bar.time,
        referencePrice: bar.open,
        quantity: this.state.quantity,
        exitReason: 'signal',
      };
    }
    const quantity = this.buyQuantity(bar.open);
    if (quantity === null) return this.drop();
    return { side: 'buy', intent: pending.intent, decidedOn: pending.barTime, fillBarTime: bar.time, referencePrice: bar.open, quantity };
  }

  private drop(): null {
    this.state.pending = null;
    return null;
  }

  /** The order was refused (risk rule, exchange rejection): forget it, as a decision never filled. */
  dropPending(): void {
    this.state.pending = null;
  }

  private buyQuantity(open: number): number | null {
    const { feeRate, slippage, capital } = this.params;
    const fillPrice = marketFillPrice('buy', open, slippage);
    const fixed = this.strategy.fixedEntryQuote;
    let quantity: number;
    let allTheCash: boolean;
    if (fixed === null) {
      quantity = entryQuantity(this.state.cash, this.strategy.params.positionSizePct, fillPrice, feeRate);
      allTheCash = this.strategy.params.positionSizePct >= 100;
    } else {
      const spend = Math.min(fixed, this.state.cash);
      if (spend <= capital * DUST_FRACTION) return null;
      quantity = entryQuantity(spend, 100, fillPrice, feeRate);
      allTheCash = spend >= this.state.cash;
    }
    // Only a buy that spends all the cash can be 1 ulp short on the account: shave just that one.
    if (allTheCash) quantity *= 1 - BUY_QUANTITY_SHAVE;
    return quantity > 0 && Number.isFinite(quantity) ? quantity : null;
  }

  /**
   * A stop loss, trailing stop or take profit touched inside `bar` (phase 2), or null. Also
   * moves the trailing reference up to the bar's high once the bar has been checked.
   */
  riskExit(bar: MachineBar): MachineOrder | null {
    const s = this.state;
    if (s.quantity <= 0) return null;
    const { stopLossPct, takeProfitPct, trailingStopPct } = this.strategy.params;
    if (stopLossPct === null && takeProfitPct === null && trailingStopPct === null) return null;
    let order: MachineOrder | null = null;
    if (s.lastFillTime === null || bar.time > s.lastFillTime) {
      const exit = touchedRiskExit(
        bar.open,
        bar.high,
        bar.low,
        s.stopPrice ?? -Infinity,
        s.highestPrice !== null ? trailingStopPct : null,
        s.highestPrice ?? -Infinity,
        s.targetPrice ?? Infinity,
      );
      if (exit !== null)
        order = {
          side: 'sell',
          intent: exit.reason,
          decidedOn: bar.time,
          fillBarTime: bar.time,
          referencePrice: exit.referencePrice,
          quantity: s.quantity,
          exitReason: exit.reason,
        };
    }
    return order;
  }

  /** After the risk exit of `bar` was handled (or there was none): the trailing reference moves. */
  trail(bar: MachineBar): void {
    const s = this.state;
    if (s.quantity > 0 && this.strategy.params.trailingStopPct !== null && s.highestPrice !== null && bar.high > s.highestPrice) s.highestPrice = bar.high;
  }

  /**
   * Books what the exchange did. Returns the closed trade when a sale closes the position.
   * `exitReason` names a sale's reason (from the order that caused it).
   */
  applyFill(fill: MachineFill, exitReason: MachineTrade['exitReason'] = 'signal'): MachineTrade | null {
    const s = this.state;
    const booked = bookFill(s, fill, this.strategy.params, exitReason);
    s.cash += booked.cashChange;
    s.pending = null;
    return booked.trade;
  }

  /**
   * The strategy's decision on the close of bar `index` of `series` (bars 0..index closed). An actionable
   * decision becomes the pending order; `isLast` (no bar will follow, e.g. the backtest's last bar) keeps
   * it from being queued, as the engine never fills a decision on the last bar.
   */
  decide(series: CandleSeries, index: number, isLast = false): Decision {
    const s = this.state;
    const holding = s.quantity > 0;
    const decision = this.strategy.onBar({ series, index }, holding ? { entryPrice: s.entryPrice, entryTime: s.entryTime, quantity: s.quantity } : null);
    if (decision !== null && !isLast) {
      const barTime = series.time[index]!;
      if (decision === 'enter') {
        if (!holding || this.strategy.accumulates) s.pending = { side: 'buy', barTime, intent: 'enter' };
      } else if (holding) s.pending = { side: 'sell', barTime, intent: 'exit' };
    }
    return decision;
  }

  /** Bar-close equity (cash + quantity × close) and its peak. */
  markClose(bar: MachineBar): number {
    const s = this.state;
    s.lastClose = bar.close;
    s.equity = s.quantity > 0 ? s.cash + s.quantity * bar.close : s.cash;
    if (s.equity > s.equityPeak) s.equityPeak = s.equity;
    return s.equity;
  }

  /** The fill the fill model gives a machine order on a paper account (what the paper exchange computes). */
  static modelFill(order: MachineOrder, params: Pick<MachineParams, 'feeRate' | 'slippage'>): MachineFill {
    const price = marketFillPrice(order.side, order.referencePrice, params.slippage);
    return { side: order.side, quantity: order.quantity, price, fee: params.feeRate * price * order.quantity, time: order.fillBarTime };
  }
}

/** Executes a machine order; returns the fill, or null when the order was refused (the machine forgets it). */
export type ExecuteMachineOrder = (order: MachineOrder) => Promise<MachineFill | null>;

export interface BarOutcome {
  decision: Decision;
  orders: MachineOrder[];
  trades: MachineTrade[];
  equity: number;
}

/**
 * Phase 1 alone: bar `bar` has opened; the pending decision of the previous bar fills at its open.
 * Returns the closed trade if a sale filled.
 */
export async function processBarOpen(
  machine: StrategyMachine,
  bar: MachineBar,
  execute: ExecuteMachineOrder,
  outcome?: Pick<BarOutcome, 'orders' | 'trades'>,
): Promise<void> {
  const order = machine.pendingOrder(bar);
  if (order === null) return;
  outcome?.orders.push(order);
  const fill = await execute(order);
  if (fill === null) {
    machine.dropPending();
    return;
  }
  const trade = machine.applyFill(fill, order.exitReason);
  if (trade) outcome?.trades.push(trade);
}

/**
 * Bar `index` of `series` has closed: phases 1–4 (phase 1 only if `processBarOpen` did not already run for
 * it). `isLast`: no bar will follow, so a decision is not queued (the backtest's last bar).
 */
export async function processClosedBar(
  machine: StrategyMachine,
  series: CandleSeries,
  index: number,
  execute: ExecuteMachineOrder,
  options: { isLast?: boolean; openDone?: boolean } = {},
): Promise<BarOutcome> {
  const bar: MachineBar = {
    time: series.time[index]!,
    open: series.open[index]!,
    high: series.high[index]!,
    low: series.low[index]!,
    close: series.close[index]!,
  };
  const outcome: BarOutcome = { decision: null, orders: [], trades: [], equity: 0 };
  const day = Math.floor(bar.time / 86_400_000) * 86_400_000;
  if (machine.state.dayStartMs !== day) {
    machine.state.dayStartMs = day;
    machine.state.dayStartEquity = machine.state.equity;
  }
  if (!options.openDone) await processBarOpen(machine, bar, execute, outcome);
  const exit = machine.riskExit(bar);
  if (exit !== null) {
    outcome.orders.push(exit);
    const fill = await execute(exit);
    if (fill !== null) {
      const trade = machine.applyFill(fill, exit.exitReason);
      if (trade) outcome.trades.push(trade);
    }
  }
  machine.trail(bar);
  outcome.decision = machine.decide(series, index, options.isLast ?? false);
  outcome.equity = machine.markClose(bar);
  return outcome;
}
