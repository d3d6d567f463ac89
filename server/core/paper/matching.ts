/**
 * The paper exchange's matching: does a resting order fill on the next price event, and at what price.
 * Prices go through server/core/fill-model.ts, the same functions the backtest engine uses, so a paper
 * deployment replaying candles reproduces the backtest trade for trade. Paper orders fill completely or
 * not at all (no partial fills, no volume limit).
 *
 * Rules (buy / sell; a trade event is a candle whose open = high = low = close = the trade price):
 * - market:      fills at the event's open, with slippage against the taker (fill model).
 * - limit:       buy fills when low ≤ limit, at min(open, limit); sell when high ≥ limit, at max(open, limit).
 *                A limit that the open already crosses fills at the open (price improvement). No slippage.
 * - stop_market: triggers when high ≥ stop (buy) / low ≤ stop (sell), then fills as a market order at the
 *                trigger price: max(open, stop) for a buy, min(open, stop) for a sell (a gap fills at the open).
 * - stop_limit:  triggers as above; on the triggering event it fills only if the trigger price is within the
 *                limit (we cannot know the path inside a candle, so no later fill in the same candle);
 *                otherwise it rests as a limit order from the next event on (`triggered: true`).
 * - fee:         feeRate × fillPrice × quantity, in quote, computed in decimal from the shown price.
 */
import { marketFillPrice, type Side } from '../fill-model';
import { decimalFromNumber, formatDecimal, mul, parseDecimal } from '../money/decimal';
import { DomainError } from '../money/errors';

export type PaperOrderType = 'market' | 'limit' | 'stop_market' | 'stop_limit';

export interface PaperOrder {
  side: Side;
  type: PaperOrderType;
  /** Base quantity (> 0). */
  quantity: string;
  /** Required for limit and stop_limit. */
  limitPrice?: string | null;
  /** Required for stop_market and stop_limit. */
  stopPrice?: string | null;
  /** A stop_limit whose stop was touched on an earlier event (persist it with the order). */
  triggered?: boolean;
}

/** The next price the order meets: a closed candle after the order was placed, or a trade. */
export type PriceEvent = { kind: 'candle'; open: number; high: number; low: number; close: number } | { kind: 'trade'; price: number };

export interface FillParams {
  /** Fraction applied against market-type fills (0.0005 = 5 bps). */
  slippage: number;
  /** Fraction of the fill's quote value charged as fee. */
  feeRate: number;
}

export interface PaperFill {
  /** Decimal strings (≤ 18 places) for Postgres; `priceNumber` is the fill model's float, for parity checks. */
  price: string;
  quantity: string;
  /** In quote. */
  fee: string;
  priceNumber: number;
  /** Whether the order filled as a taker (market, stop_market) or a maker (limit, or a resting stop_limit). */
  liquidity: 'taker' | 'maker';
}

export type MatchResult = { filled: false; triggered: boolean } | { filled: true; fill: PaperFill; triggered: boolean };

interface Range {
  open: number;
  high: number;
  low: number;
}

function rangeOf(event: PriceEvent): Range {
  if (event.kind === 'trade') {
    if (!Number.isFinite(event.price) || event.price <= 0) throw new DomainError('event.price', 'must be a positive finite number');
    return { open: event.price, high: event.price, low: event.price };
  }
  const { open, high, low, close } = event;
  if (![open, high, low, close].every((v) => Number.isFinite(v) && v > 0)) {
    throw new DomainError('event', 'candle prices must be positive finite numbers');
  }
  if (low > Math.min(open, close) || high < Math.max(open, close)) {
    throw new DomainError('event', 'candle low/high must bound its open and close');
  }
  return { open, high, low };
}

function requiredPrice(value: string | null | undefined, field: 'limitPrice' | 'stopPrice', type: PaperOrderType): number {
  if (value === null || value === undefined) throw new DomainError(field, `is required for a ${type} order`);
  return parseDecimal(value, field, { allowZero: false }).toNumber();
}

/** Validates an order's shape (prices present where its type needs them, positive quantity). */
export function validatePaperOrder(order: PaperOrder): void {
  parseDecimal(order.quantity, 'quantity', { allowZero: false });
  if (order.type === 'limit' || order.type === 'stop_limit') requiredPrice(order.limitPrice, 'limitPrice', order.type);
  if (order.type === 'stop_market' || order.type === 'stop_limit') requiredPrice(order.stopPrice, 'stopPrice', order.type);
}

/** Fill price of a resting limit order against the range, or null if the range does not reach it. */
function limitFillPrice(side: Side, limit: number, range: Range): number | null {
  if (side === 'buy') return range.low <= limit ? Math.min(range.open, limit) : null;
  return range.high >= limit ? Math.max(range.open, limit) : null;
}

/** Trigger price of a stop against the range, or null if not touched. */
function stopTriggerPrice(side: Side, stop: number, range: Range): number | null {
  if (side === 'buy') return range.high >= stop ? Math.max(range.open, stop) : null;
  return range.low <= stop ? Math.min(range.open, stop) : null;
}

/**
 * The fill as a trader sees it. The price comes from the float fill model (so paper reproduces the
 * backtest), printed at 15 significant digits — what a double carries reliably — so 100 × 1.0005 reads
 * 100.05, not 100.05000000000001; the fee is then exactly feeRate × that price × quantity.
 */
function makeFill(order: PaperOrder, priceNumber: number, params: FillParams, liquidity: PaperFill['liquidity']): PaperFill {
  const quantity = parseDecimal(order.quantity, 'quantity', { allowZero: false });
  const price = decimalFromNumber(Number(priceNumber.toPrecision(15)), 'fillPrice');
  const fee = mul(mul(decimalFromNumber(params.feeRate, 'feeRate'), price), quantity).toDecimalPlaces(18);
  return {
    price: formatDecimal(price),
    quantity: formatDecimal(quantity),
    fee: formatDecimal(fee),
    priceNumber,
    liquidity,
  };
}

/** Matches one order against the next price event. Pure: the caller persists `triggered` and the fill. */
export function matchOrder(order: PaperOrder, event: PriceEvent, params: FillParams): MatchResult {
  validatePaperOrder(order);
  if (!(params.slippage >= 0 && params.slippage < 1)) throw new DomainError('slippage', 'must be a fraction in [0, 1)');
  if (!(params.feeRate >= 0 && params.feeRate < 1)) throw new DomainError('feeRate', 'must be a fraction in [0, 1)');
  const range = rangeOf(event);
  const triggered = order.triggered ?? false;

  switch (order.type) {
    case 'market':
      return { filled: true, triggered: false, fill: makeFill(order, marketFillPrice(order.side, range.open, params.slippage), params, 'taker') };

    case 'limit': {
      const price = limitFillPrice(order.side, requiredPrice(order.limitPrice, 'limitPrice', order.type), range);
      return price === null ? { filled: false, triggered: false } : { filled: true, triggered: false, fill: makeFill(order, price, params, 'maker') };
    }

    case 'stop_market': {
      const reference = triggered ? range.open : stopTriggerPrice(order.side, requiredPrice(order.stopPrice, 'stopPrice', order.type), range);
      if (reference === null) return { filled: false, triggered: false };
      return { filled: true, triggered: true, fill: makeFill(order, marketFillPrice(order.side, reference, params.slippage), params, 'taker') };
    }

    case 'stop_limit': {
      const limit = requiredPrice(order.limitPrice, 'limitPrice', order.type);
      if (triggered) {
        const price = limitFillPrice(order.side, limit, range);
        return price === null ? { filled: false, triggered: true } : { filled: true, triggered: true, fill: makeFill(order, price, params, 'maker') };
      }
      const trigger = stopTriggerPrice(order.side, requiredPrice(order.stopPrice, 'stopPrice', order.type), range);
      if (trigger === null) return { filled: false, triggered: false };
      const withinLimit = order.side === 'buy' ? trigger <= limit : trigger >= limit;
      return withinLimit ? { filled: true, triggered: true, fill: makeFill(order, trigger, params, 'taker') } : { filled: false, triggered: true };
    }
  }
}
