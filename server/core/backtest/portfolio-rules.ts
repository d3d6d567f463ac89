/**
 * The rules of a pair-list step that the portfolio engine (portfolio.ts) and the live portfolio machine
 * (server/core/trading/portfolio-machine.ts) share, each written once (docs/backtesting.md, "Pair lists"):
 *   - rule 6: the stop loss / trailing stop / take profit a held position's bar touches (also the single-symbol
 *     strategy machine's);
 *   - P3: the slot priority of the entry candidates;
 *   - P4: the stake of an admitted entry, and what an entry may spend at its fill.
 * Both callers run the step's phases in the same order (P2.1 exits at the open before P2.2 entries, P2.3 per pair,
 * P2.4 equity, P2.5 admission); the engine on typed columns in one synchronous loop, the machine on JSON state with
 * an exchange between the phases. Pure; nothing here allocates unless an exit is touched.
 */

export type StakeRule =
  { readonly type: 'fixed'; readonly quote: number } | { readonly type: 'pct_equity'; readonly pct: number } | { readonly type: 'equal_split' };
export type EntryPriority = 'list' | 'score';

export interface SlotRules {
  /** most pairs held at once */
  readonly maxOpenPositions: number;
  /** quote spent per entry, fee included (P4) */
  readonly stake: StakeRule;
  /** which candidates take the free slots first when more signal than there are slots (P3) */
  readonly priority: EntryPriority;
}

/** An exit touched inside a bar: why, and the price the fill model starts from. */
export interface RiskExit {
  readonly reason: 'stop_loss' | 'trailing_stop' | 'take_profit';
  readonly referencePrice: number;
}

/**
 * Rule 6, for a held position on a bar after the one its entry filled on: the stop level is the higher of the stop
 * loss and the trailing stop (`highestPrice` × (1 − trailingStopPct/100)); a low at or under it sells at the stop
 * level (or the open, when the bar opened under it); otherwise a high at or over the target sells at the target (or
 * the open). `stopPrice` −Infinity and `targetPrice` +Infinity when not set; `trailingStopPct` null when not set.
 */
export function touchedRiskExit(
  open: number,
  high: number,
  low: number,
  stopPrice: number,
  trailingStopPct: number | null,
  highestPrice: number,
  targetPrice: number,
): RiskExit | null {
  const trailing = trailingStopPct !== null ? highestPrice * (1 - trailingStopPct / 100) : -Infinity;
  const stopLevel = stopPrice >= trailing ? stopPrice : trailing;
  if (low <= stopLevel) return { reason: stopPrice >= trailing ? 'stop_loss' : 'trailing_stop', referencePrice: open <= stopLevel ? open : stopLevel };
  if (high >= targetPrice) return { reason: 'take_profit', referencePrice: open >= targetPrice ? open : targetPrice };
  return null;
}

/** P3: higher score first; NaN last. */
export function compareScores(x: number, y: number): number {
  if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : 1;
  if (Number.isNaN(y)) return -1;
  return y - x > 0 ? 1 : y - x < 0 ? -1 : 0;
}

/** P4: the quote an admitted entry may spend, fee included, from the equity at the close that admitted it. */
export function stakeQuote(stake: StakeRule, equity: number, maxOpenPositions: number): number {
  return stake.type === 'fixed' ? stake.quote : stake.type === 'pct_equity' ? (equity * stake.pct) / 100 : equity / maxOpenPositions;
}

/** P4: what an entry spends at its fill: its stake, capped by the cash then; 0 when that is dust (it is skipped). */
export function entrySpend(stake: number, cash: number, dust: number): number {
  const spend = stake < cash ? stake : cash;
  return spend <= dust ? 0 : spend;
}

/**
 * P2.5 / P3 / P4: the first `count` of `candidates` (list order) take the free slots, ranked by score first when the
 * priority says so (ties: list order), each admitted with the stake from `equity`. Free slots: the maximum, less the
 * positions held that are not already leaving (`held` − `pendingExits`), less the entries admitted and not yet filled.
 */
export function admitCandidates<C>(
  rules: SlotRules,
  held: number,
  pendingExits: number,
  admittedCount: number,
  equity: number,
  candidates: readonly C[],
  count: number,
  pairOf: (candidate: C) => number,
  scoreOf: (candidate: C) => number,
  admit: (candidate: C, stake: number) => void,
): void {
  let free = rules.maxOpenPositions - (held - pendingExits) - admittedCount;
  if (count === 0 || free <= 0) return;
  const ranked =
    rules.priority === 'score' && count > 1
      ? candidates.slice(0, count).sort((x, y) => compareScores(scoreOf(x), scoreOf(y)) || pairOf(x) - pairOf(y))
      : candidates;
  const stake = stakeQuote(rules.stake, equity, rules.maxOpenPositions);
  for (let c = 0; c < count && free > 0; c++, free--) admit(ranked[c]!, stake);
}
