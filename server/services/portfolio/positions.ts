/**
 * Positions by the average-cost method, replayed from fills (docs/portfolio.md). Pure: no I/O, exact
 * decimals. Spot and long-only: a buy raises the position, a sell lowers it and realizes P&L.
 *
 * - Buy: quantity += filled quantity; cost basis += price × quantity, plus the fee when it is charged in
 *   quote. A fee charged in base shrinks what was received instead (quantity += quantity − fee).
 * - Sell: the base leaving is the quantity (plus the fee when it is charged in base); the proceeds are
 *   price × quantity (minus the fee when it is charged in quote). Of that base, the part the position
 *   covers closes at the average cost: realized += its share of the proceeds − cost basis × part / quantity.
 *   Base beyond the tracked position (coins held before Cryptobot traded them) is "untracked": its
 *   proceeds are not P&L, because its cost is unknown.
 * - A fee in any other currency (e.g. BNB) is in neither the cost basis nor the P&L; it is reported in
 *   `excludedFees` (balances, and so equity, still reflect it).
 */
import { compare, Decimal, div, minOf, mul, sub, type DecimalInput } from '@/server/core/money';

export interface PositionFill {
  symbol: string;
  side: 'buy' | 'sell';
  quantity: DecimalInput;
  price: DecimalInput;
  fee: DecimalInput;
  feeCurrency: string | null;
  /** ms since epoch, UTC: when the trade happened (a replay's fills carry its feed's time). */
  executedAtMs: number;
  /**
   * ms since epoch, UTC, by the wall clock: when the fill was booked, the later of its execution and its
   * order's creation (a replayed fill of 2021 booked today is today's P&L). Defaults to executedAtMs.
   */
  bookedAtMs?: number;
}

export interface PositionState {
  symbol: string;
  base: string;
  quote: string;
  /** Base units held, as far as the fills tell. */
  quantity: Decimal;
  /** Quote paid for `quantity`, buy fees in quote included. */
  costBasis: Decimal;
  /** In quote, over the whole history. */
  realizedPnl: Decimal;
  /** In quote, realized by the fills booked at or after `sinceMs` (the replay's option; 0 without it). */
  realizedSince: Decimal;
  /** Quantity and cost basis of the fills booked before `sinceMs` (the whole position when there is no option). */
  atSince: { quantity: Decimal; costBasis: Decimal };
  /** Base sold beyond the tracked position: no P&L is realized on it. */
  untrackedQuantitySold: Decimal;
  /** Fees in currencies other than base and quote, by currency. */
  excludedFees: Record<string, Decimal>;
}

const ZERO = new Decimal(0);

/** "BTC/USDT" → {base: "BTC", quote: "USDT"}; anything after a ":" (ccxt settle currency) is ignored. */
export function splitPair(symbol: string): { base: string; quote: string } {
  const [base = symbol, rest = ''] = symbol.split('/');
  return { base, quote: rest.split(':')[0] ?? rest };
}

function emptyPosition(symbol: string): PositionState {
  const { base, quote } = splitPair(symbol);
  return {
    symbol,
    base,
    quote,
    quantity: ZERO,
    costBasis: ZERO,
    realizedPnl: ZERO,
    realizedSince: ZERO,
    atSince: { quantity: ZERO, costBasis: ZERO },
    untrackedQuantitySold: ZERO,
    excludedFees: {},
  };
}

/** Applies one fill to a position (returns a new state; the input is not changed). */
export function applyFill(position: PositionState, fill: PositionFill): PositionState {
  const next: PositionState = { ...position, atSince: { ...position.atSince }, excludedFees: { ...position.excludedFees } };
  const quantity = new Decimal(fill.quantity);
  const price = new Decimal(fill.price);
  const fee = new Decimal(fill.fee);
  const feeIn = fill.feeCurrency === next.quote ? 'quote' : fill.feeCurrency === next.base ? 'base' : 'other';
  if (feeIn === 'other' && !fee.isZero()) {
    const currency = fill.feeCurrency ?? 'unknown';
    next.excludedFees[currency] = (next.excludedFees[currency] ?? ZERO).plus(fee);
  }

  if (fill.side === 'buy') {
    const received = feeIn === 'base' ? Decimal.max(sub(quantity, fee), ZERO) : quantity;
    next.quantity = next.quantity.plus(received);
    next.costBasis = next.costBasis.plus(mul(price, quantity)).plus(feeIn === 'quote' ? fee : ZERO);
  } else {
    const baseOut = feeIn === 'base' ? quantity.plus(fee) : quantity;
    const proceeds = sub(mul(price, quantity), feeIn === 'quote' ? fee : ZERO);
    const matched = minOf(baseOut, next.quantity);
    if (matched.gt(0)) {
      // The whole position closes at its whole cost basis: no rounding residue is left behind.
      const costSold = compare(matched, next.quantity) === 0 ? next.costBasis : div(mul(next.costBasis, matched), next.quantity);
      const realized = sub(div(mul(proceeds, matched), baseOut), costSold);
      next.realizedPnl = next.realizedPnl.plus(realized);
      next.quantity = next.quantity.minus(matched);
      next.costBasis = next.quantity.isZero() ? ZERO : next.costBasis.minus(costSold);
    }
    next.untrackedQuantitySold = next.untrackedQuantitySold.plus(baseOut.minus(matched));
  }
  return next;
}

const bookedAt = (fill: PositionFill): number => fill.bookedAtMs ?? fill.executedAtMs;

function replayAll(fills: readonly PositionFill[]): Map<string, PositionState> {
  const positions = new Map<string, PositionState>();
  const ordered = fills.map((fill, index) => ({ fill, index })).sort((a, b) => a.fill.executedAtMs - b.fill.executedAtMs || a.index - b.index);
  for (const { fill } of ordered) positions.set(fill.symbol, applyFill(positions.get(fill.symbol) ?? emptyPosition(fill.symbol), fill));
  return positions;
}

/**
 * Replays fills (any order; sorted here by execution time, stable for equal times) into one position
 * per symbol. With `sinceMs`, each position also carries what it was as booked before that time (the fills
 * booked earlier, replayed alone) and the P&L realized since (the whole history's realized P&L minus theirs):
 * pnlToday's fallback rule, on the wall clock even for a replay whose fills carry feed times.
 */
export function replayPositions(fills: readonly PositionFill[], options: { sinceMs?: number } = {}): Map<string, PositionState> {
  const positions = replayAll(fills);
  const { sinceMs } = options;
  if (sinceMs === undefined) {
    for (const position of positions.values()) position.atSince = { quantity: position.quantity, costBasis: position.costBasis };
    return positions;
  }
  const before = replayAll(fills.filter((fill) => bookedAt(fill) < sinceMs));
  for (const position of positions.values()) {
    const then = before.get(position.symbol);
    position.atSince = then ? { quantity: then.quantity, costBasis: then.costBasis } : { quantity: ZERO, costBasis: ZERO };
    position.realizedSince = position.realizedPnl.minus(then?.realizedPnl ?? ZERO);
  }
  return positions;
}
