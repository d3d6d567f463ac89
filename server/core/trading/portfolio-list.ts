/**
 * A pair-list deployment following a refreshed list (`pairlist: {type: "top_volume"}`; docs/backtesting.md,
 * "Pair lists", "A list the exchange chooses"). At each call:
 * - a pair that left the list is marked `offList`: it takes no new entry, an admitted entry not yet filled is
 *   dropped, and its open position is managed (risk exits, the strategy's exit) as before until it exits;
 * - a pair off the list and flat (no position, no pending exit) is dropped from the state: nothing is left to manage,
 *   so the deployment stops fetching its candles. The pairs after it move down one index (admitted entries and
 *   `listOrder` are renumbered; the runtime's per-pair instances follow the symbols: runtime.ts
 *   `syncPortfolioRuntime`). Its trades stay in the deployment's orders and in the state's totals;
 * - a pair that joined is appended, flat (its bars and the strategy's warm-up come from the caller's feed);
 * - a pair that comes back while still kept (holding) is simply on the list again; one already dropped joins afresh;
 * - `listOrder` keeps the list's priority order (P3) over the pairs' indexes.
 */
import type { PortfolioMachineState, PortfolioPairState } from './portfolio-machine';
import { FLAT_POSITION } from './strategy-machine';

export interface PairListChange {
  joined: string[];
  left: string[];
  /** Pairs off the list that were flat, removed from the state (no more candles fetched for them). */
  dropped: string[];
}

/** Brings the state to the list `symbols` (in priority order); returns what changed (nothing: the same list). */
export function followPairList(state: PortfolioMachineState, symbols: readonly string[]): PairListChange {
  const change: PairListChange = { joined: [], left: [], dropped: [] };
  const listed = new Set(symbols);
  for (const pair of state.pairs) {
    if (listed.has(pair.symbol)) delete pair.offList;
    else if (pair.offList !== true) {
      pair.offList = true;
      change.left.push(pair.symbol);
    }
  }
  state.admitted = state.admitted.filter((entry) => state.pairs[entry.pair]!.offList !== true);
  const kept = state.pairs.map((pair) => !(pair.offList === true && pair.quantity <= 0 && pair.pendingExit === null));
  if (kept.includes(false)) {
    const renumbered: number[] = [];
    let next = 0;
    state.pairs.forEach((pair, i) => {
      if (kept[i]) renumbered[i] = next++;
      else change.dropped.push(pair.symbol);
    });
    state.pairs = state.pairs.filter((_, i) => kept[i]);
    // Admitted entries are on listed pairs only (filtered above), which are all kept.
    state.admitted = state.admitted.map((entry) => ({ ...entry, pair: renumbered[entry.pair]! }));
  }
  const index = new Map(state.pairs.map((pair, i) => [pair.symbol, i]));
  for (const symbol of symbols) {
    if (index.has(symbol)) continue;
    index.set(symbol, state.pairs.length);
    state.pairs.push(flatPairState(symbol));
    change.joined.push(symbol);
  }
  const order = symbols.map((symbol) => index.get(symbol)!);
  const natural = order.length === state.pairs.length && order.every((pair, i) => pair === i);
  if (natural) delete state.listOrder;
  else state.listOrder = order;
  return change;
}

/** A pair with no position, no pending exit and no history. */
export function flatPairState(symbol: string): PortfolioPairState {
  return {
    symbol,
    ...FLAT_POSITION,
    pendingExit: null,
    lastClose: null,
    closedTrades: 0,
    realizedPnl: 0,
  };
}
