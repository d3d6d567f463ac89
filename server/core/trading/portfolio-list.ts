/**
 * A pair-list deployment following a refreshed list (`pairlist: {type: "top_volume"}`; docs/backtesting.md,
 * "Pair lists", "A list the exchange chooses"). The machine's pairs keep their indexes (admitted entries and the
 * runtime's per-pair instances point at them), so the list is followed by marking, never by removing:
 * - a pair that left the list is marked `offList`: it takes no new entry, an admitted entry not yet filled is
 *   dropped, and its open position is managed (risk exits, the strategy's exit) as before until it exits;
 * - a pair that joined is appended, flat (its bars and the strategy's warm-up come from the caller's feed);
 * - a pair that comes back is simply on the list again;
 * - `listOrder` keeps the list's priority order (P3) over the pairs' indexes.
 */
import type { PortfolioMachineState, PortfolioPairState } from './portfolio-machine';
import { FLAT_POSITION } from './strategy-machine';

export interface PairListChange {
  joined: string[];
  left: string[];
}

/** Brings the state to the list `symbols` (in priority order); returns what changed (nothing: the same list). */
export function followPairList(state: PortfolioMachineState, symbols: readonly string[]): PairListChange {
  const change: PairListChange = { joined: [], left: [] };
  const listed = new Set(symbols);
  const index = new Map(state.pairs.map((pair, i) => [pair.symbol, i]));
  for (const symbol of symbols) {
    if (index.has(symbol)) continue;
    index.set(symbol, state.pairs.length);
    state.pairs.push(flatPairState(symbol));
    change.joined.push(symbol);
  }
  for (const pair of state.pairs) {
    if (listed.has(pair.symbol)) delete pair.offList;
    else if (pair.offList !== true) {
      pair.offList = true;
      change.left.push(pair.symbol);
    }
  }
  state.admitted = state.admitted.filter((entry) => state.pairs[entry.pair]!.offList !== true);
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
