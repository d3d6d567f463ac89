/**
 * The portfolio machine: a pair-list strategy's per-step state machine for a deployment. It is the portfolio
 * engine's step (server/core/backtest/portfolio.ts; docs/backtesting.md "Pair lists", rules P1–P8) split into
 * phases that can wait for an exchange between them, with its whole state plain JSON (kept in the deployment row
 * between steps, so a restarted worker continues exactly where the last one stopped).
 *
 * Per step (a bar time at which at least one pair has a closed bar; P1), the caller runs `processPortfolioStep`:
 *   P2.1 pending exits of the pairs with a bar now fill at its open;
 *   P2.2 admitted entries of the pairs with a bar now fill at its open, in admission order (stake from the
 *        admission, spend capped by the cash then: P4);
 *   P2.3 per pair with a bar, in list order: stop loss / trailing stop / take profit (never on the fill bar), the
 *        trailing reference, then the strategy's decision at the close (an exit becomes pending, an entry a candidate);
 *   P2.4 equity at the close: cash + Σ quantity × latest close, in list order (P7);
 *   P2.5 candidates take the free slots (list order, or score: P3) with a stake from that equity (P4).
 * Every order goes through the caller's `execute` (paper exchange or a real one) and what the exchange did is
 * booked with the fill model's numbers, so a paper deployment on a replay reproduces the backtest of the same
 * candles trade for trade. What a deployment does not do: the end-of-data sale (P6): it keeps its positions.
 * The rules it shares with the engine (risk exits, slot priority, stakes) are server/core/backtest/portfolio-rules.ts';
 * the booking of a fill is the strategy machine's (bookFill).
 */
import type { CandleSeries } from '../candles';
import { entryQuantity, marketFillPrice, type Side } from '../fill-model';
import type { OrderIntent } from '../orders';
import type { StrategyInstance } from '../strategies/types';
import { admitCandidates, entrySpend, touchedRiskExit, type StakeRule } from '../backtest/portfolio-rules';
import { bookFill, BUY_QUANTITY_SHAVE, type MachineFill, type MachineTrade } from './strategy-machine';
import { flatPairState } from './portfolio-list';

/** The engine's dust: an entry with less quote than this fraction of the capital to spend is skipped. */
const DUST_FRACTION = 1e-9;
/** A stake this close to the cash (relative) is sized as all the cash. */
const NEAR_ALL_THE_CASH = 1e-9;

export type PortfolioStake = StakeRule;

export interface PortfolioRules {
  maxOpenPositions: number;
  stake: PortfolioStake;
  priority: 'list' | 'score';
}

/** One pair's position and pending exit. Prices in quote per base, times ms UTC (bar open times). */
export interface PortfolioPairState {
  symbol: string;
  /** Base held; 0 when flat. */
  quantity: number;
  entryCost: number;
  entryFees: number;
  entryPrice: number;
  entryTime: number;
  stopPrice: number | null;
  targetPrice: number | null;
  highestPrice: number | null;
  /** Open time of the bar the entry filled on: no risk exit on that bar. */
  lastFillTime: number | null;
  /** The step time whose decision was to exit (fills at the pair's next bar open), or null. */
  pendingExit: number | null;
  lastClose: number | null;
  closedTrades: number;
  realizedPnl: number;
  /** The pair left a refreshed pair list (portfolio-list.ts): no new entries; its position is managed until it exits. */
  offList?: true;
}

/** An admitted entry not yet filled (P3): its pair (index in the list), the quote to spend (P4), its step time. */
export interface AdmittedEntry {
  pair: number;
  stake: number;
  barTime: number;
}

export interface PortfolioMachineState {
  kind: 'portfolio';
  /** Quote the deployment holds (its capital, minus buys and their fees, plus sales net of fees). */
  cash: number;
  pairs: PortfolioPairState[];
  /** In admission order. */
  admitted: AdmittedEntry[];
  equity: number;
  equityPeak: number;
  closedTrades: number;
  realizedPnl: number;
  dayStartMs: number | null;
  dayStartEquity: number;
  /**
   * After a refreshed pair list reordered or grew the pairs (portfolio-list.ts): the pairs' indexes in the current
   * list's order, the priority of P3 ("list"). Absent: the pairs' own order.
   */
  listOrder?: number[];
}

export function isPortfolioState(state: unknown): state is PortfolioMachineState {
  return typeof state === 'object' && state !== null && (state as { kind?: unknown }).kind === 'portfolio';
}

export function initialPortfolioState(capital: number, symbols: readonly string[]): PortfolioMachineState {
  if (!(Number.isFinite(capital) && capital > 0)) throw new RangeError(`capital must be a positive number, got ${capital}`);
  return {
    kind: 'portfolio',
    cash: capital,
    pairs: symbols.map(flatPairState),
    admitted: [],
    equity: capital,
    equityPeak: capital,
    closedTrades: 0,
    realizedPnl: 0,
    dayStartMs: null,
    dayStartEquity: capital,
  };
}

/** A pair's bar at a step: the pair (index in the list), its series and the bar's index in it. */
export interface ActiveBar {
  pair: number;
  series: CandleSeries;
  index: number;
}

/** An order the portfolio machine wants: a market order on one pair. */
export interface PortfolioOrder {
  pair: number;
  symbol: string;
  side: Side;
  intent: OrderIntent;
  /** Step time that decided it (with the deployment, symbol and intent: its clientOrderId). */
  decidedOn: number;
  /** Open time of the bar it fills on (or inside which, for risk exits). */
  fillBarTime: number;
  /** Where the fill model starts: the bar's open, or the stop/target level. */
  referencePrice: number;
  quantity: number;
  exitReason?: 'signal' | 'stop_loss' | 'take_profit' | 'trailing_stop';
}

export type PortfolioTrade = MachineTrade & { symbol: string };

/** Executes an order; the fill, or null when it was refused (the machine forgets it, as a decision never filled). */
export type ExecutePortfolioOrder = (order: PortfolioOrder) => Promise<MachineFill | null>;

export interface PortfolioMachineParams {
  capital: number;
  feeRate: number;
  slippage: number;
  rules: PortfolioRules;
}

export interface PortfolioStepOutcome {
  orders: PortfolioOrder[];
  trades: PortfolioTrade[];
  /** Decisions of the pairs with a bar, by symbol ('enter' | 'exit'; holds left out). */
  decisions: Record<string, string>;
  equity: number;
}

export class PortfolioMachine {
  constructor(
    readonly state: PortfolioMachineState,
    /** One instance per pair, in list order (instances keep streaming state). */
    private readonly strategies: readonly StrategyInstance[],
    private readonly params: PortfolioMachineParams,
  ) {
    if (strategies.length !== state.pairs.length) throw new RangeError(`${strategies.length} strategy instances for ${state.pairs.length} pairs`);
  }

  get openPositions(): number {
    return this.state.pairs.reduce((n, p) => n + (p.quantity > 0 ? 1 : 0), 0);
  }

  /** P2.1: the pair's pending exit as an order filling at `bar`'s open, or null. */
  pendingExitOrder(active: ActiveBar): PortfolioOrder | null {
    const pair = this.state.pairs[active.pair]!;
    if (pair.pendingExit === null) return null;
    if (pair.quantity <= 0) {
      pair.pendingExit = null;
      return null;
    }
    return {
      pair: active.pair,
      symbol: pair.symbol,
      side: 'sell',
      intent: 'exit',
      decidedOn: pair.pendingExit,
      fillBarTime: active.series.time[active.index]!,
      referencePrice: active.series.open[active.index]!,
      quantity: pair.quantity,
      exitReason: 'signal',
    };
  }

  /** P2.2: an admitted entry as an order filling at the bar's open, or null when there is nothing to spend (dropped). */
  entryOrder(entry: AdmittedEntry, active: ActiveBar): PortfolioOrder | null {
    const { feeRate, slippage, capital } = this.params;
    const s = this.state;
    const open = active.series.open[active.index]!;
    const fillPrice = marketFillPrice('buy', open, slippage);
    const spend = entrySpend(entry.stake, s.cash, capital * DUST_FRACTION);
    if (spend === 0) return null;
    let quantity = entryQuantity(spend, 100, fillPrice, feeRate);
    // A buy that spends all the cash, or a stake within 1e-9 of it (equal split: the last slot's stake is the cash
    // left, up to float rounding), can be 1 ulp short on the account, whose balance is the exact decimal sum of the
    // fills: shave it (strategy-machine.ts, BUY_QUANTITY_SHAVE).
    if (spend >= s.cash * (1 - NEAR_ALL_THE_CASH)) quantity *= 1 - BUY_QUANTITY_SHAVE;
    if (!(quantity > 0 && Number.isFinite(quantity))) return null;
    return {
      pair: entry.pair,
      symbol: s.pairs[entry.pair]!.symbol,
      side: 'buy',
      intent: 'enter',
      decidedOn: entry.barTime,
      fillBarTime: active.series.time[active.index]!,
      referencePrice: open,
      quantity,
    };
  }

  /** P2.3: a stop loss, trailing stop or take profit touched inside the pair's bar, or null. */
  riskExit(active: ActiveBar): PortfolioOrder | null {
    const pair = this.state.pairs[active.pair]!;
    if (pair.quantity <= 0) return null;
    const { series, index } = active;
    const time = series.time[index]!;
    if (pair.lastFillTime !== null && time <= pair.lastFillTime) return null;
    const exit = touchedRiskExit(
      series.open[index]!,
      series.high[index]!,
      series.low[index]!,
      pair.stopPrice ?? -Infinity,
      pair.highestPrice !== null ? this.strategies[active.pair]!.params.trailingStopPct : null,
      pair.highestPrice ?? -Infinity,
      pair.targetPrice ?? Infinity,
    );
    if (exit === null) return null;
    return {
      pair: active.pair,
      symbol: pair.symbol,
      side: 'sell',
      intent: exit.reason,
      decidedOn: time,
      fillBarTime: time,
      referencePrice: exit.referencePrice,
      quantity: pair.quantity,
      exitReason: exit.reason,
    };
  }

  /** Books what the exchange did for a pair; a sale that closes the position returns its trade. */
  applyFill(pairIndex: number, fill: MachineFill, exitReason: MachineTrade['exitReason'] = 'signal'): PortfolioTrade | null {
    const s = this.state;
    const pair = s.pairs[pairIndex]!;
    const booked = bookFill(pair, fill, this.strategies[pairIndex]!.params, exitReason);
    s.cash += booked.cashChange;
    if (booked.trade === null) return null;
    s.closedTrades++;
    s.realizedPnl += booked.trade.pnl;
    return { symbol: pair.symbol, ...booked.trade };
  }

  /** The trailing reference moves up to the bar's high (after its risk check); the close is remembered. */
  trail(active: ActiveBar): void {
    const pair = this.state.pairs[active.pair]!;
    const high = active.series.high[active.index]!;
    if (pair.quantity > 0 && pair.highestPrice !== null && high > pair.highestPrice) pair.highestPrice = high;
    pair.lastClose = active.series.close[active.index]!;
  }

  /** The strategy's decision at the pair's close; an exit becomes pending; returns whether it is an entry candidate. */
  decide(active: ActiveBar, stepTime: number): { decision: string | null; candidate: boolean; score: number } {
    const pair = this.state.pairs[active.pair]!;
    const strategy = this.strategies[active.pair]!;
    const holding = pair.quantity > 0;
    const ctx = { series: active.series, index: active.index };
    const decision = strategy.onBar(ctx, holding ? { entryPrice: pair.entryPrice, entryTime: pair.entryTime, quantity: pair.quantity } : null);
    if (decision === 'exit') {
      if (holding && pair.pendingExit === null) pair.pendingExit = stepTime;
      return { decision, candidate: false, score: 0 };
    }
    if (decision === 'enter' && !holding && pair.offList !== true && !this.state.admitted.some((e) => e.pair === active.pair)) {
      const score = this.params.rules.priority === 'score' && strategy.entryScore ? strategy.entryScore(ctx) : 0;
      return { decision, candidate: true, score };
    }
    return { decision, candidate: false, score: 0 };
  }

  /** P2.4: equity at the step's close (held pairs at their latest close, list order) and its peak. */
  markClose(): number {
    const s = this.state;
    let equity = s.cash;
    for (const pair of s.pairs) if (pair.quantity > 0) equity += pair.quantity * pair.lastClose!;
    s.equity = equity;
    if (equity > s.equityPeak) s.equityPeak = equity;
    return equity;
  }

  /** P2.5 / P3 / P4: the candidates (list order) take the free slots with a stake from the close's equity. */
  admit(candidates: ReadonlyArray<{ pair: number; score: number }>, stepTime: number, equity: number): void {
    if (candidates.length === 0) return;
    const s = this.state;
    let held = 0;
    let pendingExits = 0;
    for (const pair of s.pairs) {
      if (pair.quantity > 0) {
        held++;
        if (pair.pendingExit !== null) pendingExits++;
      }
    }
    admitCandidates(
      this.params.rules,
      held,
      pendingExits,
      s.admitted.length,
      equity,
      candidates,
      candidates.length,
      (c) => c.pair,
      (c) => c.score,
      (c, stake) => s.admitted.push({ pair: c.pair, stake, barTime: stepTime }),
    );
  }

  /** The fill the fill model gives an order on a paper account (what the paper exchange computes). */
  static modelFill(order: PortfolioOrder, params: Pick<PortfolioMachineParams, 'feeRate' | 'slippage'>): MachineFill {
    const price = marketFillPrice(order.side, order.referencePrice, params.slippage);
    return { side: order.side, quantity: order.quantity, price, fee: params.feeRate * price * order.quantity, time: order.fillBarTime };
  }
}

/**
 * P2.1 and P2.2 alone: the pending exits and admitted entries of the pairs in `active` fill at their bars' opens.
 * (Live data: the caller runs this as soon as the next bar opens, with that bar's open = the last close.)
 */
export async function processPortfolioOpen(
  machine: PortfolioMachine,
  active: readonly ActiveBar[],
  execute: ExecutePortfolioOrder,
  outcome?: Pick<PortfolioStepOutcome, 'orders' | 'trades'>,
): Promise<void> {
  const s = machine.state;
  for (const bar of active) {
    const order = machine.pendingExitOrder(bar);
    if (order === null) continue;
    outcome?.orders.push(order);
    const fill = await execute(order);
    s.pairs[bar.pair]!.pendingExit = null;
    if (fill === null) continue;
    const trade = machine.applyFill(bar.pair, fill, order.exitReason);
    if (trade) outcome?.trades.push(trade);
  }
  if (s.admitted.length === 0) return;
  const byPair = new Map(active.map((bar) => [bar.pair, bar]));
  const waiting: AdmittedEntry[] = [];
  for (const entry of s.admitted) {
    const bar = byPair.get(entry.pair);
    if (bar === undefined) {
      waiting.push(entry); // no bar now: it keeps its place (P2.2)
      continue;
    }
    const order = machine.entryOrder(entry, bar);
    if (order === null) continue;
    outcome?.orders.push(order);
    const fill = await execute(order);
    if (fill !== null) machine.applyFill(entry.pair, fill);
  }
  s.admitted = waiting;
}

/**
 * One step: the pairs in `active` (list order) have a closed bar at `stepTime`. P2.1–P2.5; `openDone`: the opens
 * were already processed (processPortfolioOpen ran for this step).
 */
export async function processPortfolioStep(
  machine: PortfolioMachine,
  stepTime: number,
  active: readonly ActiveBar[],
  execute: ExecutePortfolioOrder,
  options: { openDone?: boolean } = {},
): Promise<PortfolioStepOutcome> {
  const s = machine.state;
  const outcome: PortfolioStepOutcome = { orders: [], trades: [], decisions: {}, equity: 0 };
  const day = Math.floor(stepTime / 86_400_000) * 86_400_000;
  if (s.dayStartMs !== day) {
    s.dayStartMs = day;
    s.dayStartEquity = s.equity;
  }
  if (!options.openDone) await processPortfolioOpen(machine, active, execute, outcome);
  const candidates: Array<{ pair: number; score: number }> = [];
  for (const bar of active) {
    const exit = machine.riskExit(bar);
    if (exit !== null) {
      outcome.orders.push(exit);
      const fill = await execute(exit);
      if (fill !== null) {
        const trade = machine.applyFill(bar.pair, fill, exit.exitReason);
        if (trade) outcome.trades.push(trade);
      }
    }
    machine.trail(bar);
    const decided = machine.decide(bar, stepTime);
    if (decided.decision !== null) outcome.decisions[s.pairs[bar.pair]!.symbol] = decided.decision;
    if (decided.candidate) candidates.push({ pair: bar.pair, score: decided.score });
  }
  outcome.equity = machine.markClose();
  if (s.listOrder && candidates.length > 1) {
    const rank = new Map(s.listOrder.map((pair, i) => [pair, i]));
    candidates.sort((a, b) => rank.get(a.pair)! - rank.get(b.pair)!);
  }
  machine.admit(candidates, stepTime, outcome.equity);
  return outcome;
}
