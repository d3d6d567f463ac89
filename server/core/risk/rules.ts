/**
 * Pre-trade risk rules, evaluated before an order row is written. Pure: the service gathers the state
 * (position, balances, equity, today's PnL) and the deployment's limits, and acts on the verdict:
 * `reject` refuses this order; `pause` refuses it and pauses the deployment with an alert.
 *
 * All amounts are decimal strings; quote amounts are in the market's quote currency; fractions are
 * 0..1 (0.05 = 5%). A limit left undefined is not enforced.
 *
 * Orders that only reduce the current position (selling at most what a long holds, buying back at most
 * what a short owes) skip every rule except the balance check: blocking an exit never reduces risk.
 */
import { add, div, formatDecimal, mul, parseDecimal, sub, type Decimal } from '../money/decimal';

export type RiskSide = 'buy' | 'sell';

export interface RiskIntent {
  side: RiskSide;
  /** Base quantity (> 0). */
  quantity: string;
  /** Expected fill price, quote per base: the limit price, or the reference price (e.g. last) for a market order. */
  price: string;
}

export interface RiskState {
  /** The deployment's position in base, signed (> 0 long, < 0 short, 0 flat). */
  positionQuantity: string;
  /** Average entry price of the position, quote per base; null when flat. */
  positionEntryPrice: string | null;
  /** Current market price, quote per base. */
  markPrice: string;
  /** Free (unreserved) balances of the account the order would use. */
  freeQuote: string;
  freeBase: string;
  /** Taker/maker fee rate that applies to the order, as a fraction. */
  feeRate: string;
  /** The deployment's equity now and its highest equity since it started, in quote. */
  equity: string;
  equityPeak: string;
  /** PnL since 00:00 UTC (see `utcDayStartMs`): realized net of fees, and the change in unrealized PnL. Signed. */
  realizedPnlToday: string;
  unrealizedPnlToday: string;
}

export interface RiskLimits {
  /** Largest position value allowed after the order, in quote. */
  maxPositionQuote?: string;
  /** Largest single order value (quantity × price), in quote. */
  maxOrderNotional?: string;
  /** Adding to a position that has moved this fraction against its entry price is refused. */
  stopLossFraction?: string;
  /** Once today's realized + unrealized loss reaches this, new entries are refused until 00:00 UTC. */
  dailyLossLimitQuote?: string;
  /** Circuit breaker: once equity is this fraction below its peak, the deployment is paused. */
  maxDrawdownFraction?: string;
}

export type RiskRule = 'max_drawdown' | 'daily_loss' | 'stop_loss' | 'max_order_notional' | 'max_position' | 'insufficient_balance';

export type RiskAction = 'reject' | 'pause';

export type RiskVerdict = { allowed: true } | { allowed: false; rule: RiskRule; reason: string; action: RiskAction };

const ALLOWED: RiskVerdict = { allowed: true };

/** 00:00 UTC of the day containing `nowMs` (ms since epoch): the start of the daily-loss window. */
export function utcDayStartMs(nowMs: number): number {
  return Math.floor(nowMs / 86_400_000) * 86_400_000;
}

const money = (value: string, field: string) => parseDecimal(value, field);
const signed = (value: string, field: string) => parseDecimal(value, field, { allowNegative: true });
const fraction = (value: string, field: string) => parseDecimal(value, field, { max: 1 });
const show = (value: Decimal) => formatDecimal(value.toDecimalPlaces(8));
const percent = (value: Decimal) => `${formatDecimal(value.times(100).toDecimalPlaces(2))}%`;

/**
 * Whether the order only reduces the existing position: a sell of at most a long's quantity, or a buy of
 * at most a short's.
 */
export function isReducingOrder(intent: RiskIntent, positionQuantity: string): boolean {
  const position = signed(positionQuantity, 'positionQuantity');
  const quantity = parseDecimal(intent.quantity, 'quantity', { allowZero: false });
  if (intent.side === 'sell') return position.gt(0) && quantity.lte(position);
  return position.lt(0) && quantity.lte(position.abs());
}

/**
 * The circuit breaker alone, for the deployment runner to check on every bar whether or not it wants
 * to trade: a `pause` verdict once equity has fallen `maxDrawdownFraction` below its peak.
 */
export function evaluateCircuitBreakers(state: Pick<RiskState, 'equity' | 'equityPeak'>, limits: RiskLimits): RiskVerdict {
  if (limits.maxDrawdownFraction === undefined) return ALLOWED;
  const maxDrawdown = fraction(limits.maxDrawdownFraction, 'maxDrawdownFraction');
  const peak = money(state.equityPeak, 'equityPeak');
  const equity = signed(state.equity, 'equity');
  if (!peak.gt(0)) return ALLOWED;
  const drawdown = div(sub(peak, equity), peak);
  if (drawdown.gte(maxDrawdown)) {
    return {
      allowed: false,
      rule: 'max_drawdown',
      action: 'pause',
      reason: `equity ${show(equity)} is ${percent(drawdown)} below its peak ${show(peak)}, at or past the ${percent(maxDrawdown)} max drawdown: deployment paused`,
    };
  }
  return ALLOWED;
}

/**
 * Whether the position has moved `stopLossFraction` against its entry: the runner turns this into an
 * exit intent. Returns the adverse move as a fraction, or null when flat, no stop is set, or not hit.
 */
export function stopLossHit(
  state: Pick<RiskState, 'positionQuantity' | 'positionEntryPrice' | 'markPrice'>,
  limits: Pick<RiskLimits, 'stopLossFraction'>,
): { adverseMove: string } | null {
  if (limits.stopLossFraction === undefined || state.positionEntryPrice === null) return null;
  const stop = fraction(limits.stopLossFraction, 'stopLossFraction');
  const position = signed(state.positionQuantity, 'positionQuantity');
  if (position.isZero()) return null;
  const entry = parseDecimal(state.positionEntryPrice, 'positionEntryPrice', { allowZero: false });
  const mark = parseDecimal(state.markPrice, 'markPrice', { allowZero: false });
  const adverse = div(position.gt(0) ? sub(entry, mark) : sub(mark, entry), entry);
  return adverse.gte(stop) ? { adverseMove: formatDecimal(adverse) } : null;
}

/** The first rule the order breaks, checked from the most to the least severe; `{ allowed: true }` if none. */
export function evaluateRisk(intent: RiskIntent, state: RiskState, limits: RiskLimits): RiskVerdict {
  const quantity = parseDecimal(intent.quantity, 'quantity', { allowZero: false });
  const price = parseDecimal(intent.price, 'price', { allowZero: false });
  const feeRate = fraction(state.feeRate, 'feeRate');
  const notional = mul(quantity, price);

  if (!isReducingOrder(intent, state.positionQuantity)) {
    const breaker = evaluateCircuitBreakers(state, limits);
    if (!breaker.allowed) return breaker;

    if (limits.dailyLossLimitQuote !== undefined) {
      const limit = money(limits.dailyLossLimitQuote, 'dailyLossLimitQuote');
      const loss = add(signed(state.realizedPnlToday, 'realizedPnlToday'), signed(state.unrealizedPnlToday, 'unrealizedPnlToday')).negated();
      if (loss.gte(limit)) {
        return {
          allowed: false,
          rule: 'daily_loss',
          action: 'reject',
          reason: `today's loss ${show(loss)} (realized + unrealized since 00:00 UTC) has reached the ${show(limit)} daily limit: new entries resume at 00:00 UTC`,
        };
      }
    }

    const stop = stopLossHit(state, limits);
    if (stop) {
      return {
        allowed: false,
        rule: 'stop_loss',
        action: 'reject',
        reason: `the position is ${percent(parseDecimal(stop.adverseMove, 'adverseMove', { allowNegative: true }))} against its entry, past the ${percent(fraction(limits.stopLossFraction!, 'stopLossFraction'))} stop-loss: exit it instead of adding to it`,
      };
    }

    if (limits.maxOrderNotional !== undefined) {
      const max = money(limits.maxOrderNotional, 'maxOrderNotional');
      if (notional.gt(max)) {
        return {
          allowed: false,
          rule: 'max_order_notional',
          action: 'reject',
          reason: `order value ${show(notional)} exceeds the ${show(max)} max order notional`,
        };
      }
    }

    if (limits.maxPositionQuote !== undefined) {
      const max = money(limits.maxPositionQuote, 'maxPositionQuote');
      const position = signed(state.positionQuantity, 'positionQuantity');
      const after = intent.side === 'buy' ? add(position, quantity) : sub(position, quantity);
      const valueAfter = mul(after.abs(), price);
      if (valueAfter.gt(max)) {
        return {
          allowed: false,
          rule: 'max_position',
          action: 'reject',
          reason: `position value after the order ${show(valueAfter)} exceeds the ${show(max)} max position`,
        };
      }
    }
  }

  if (intent.side === 'buy') {
    const required = mul(notional, add(1, feeRate));
    const free = money(state.freeQuote, 'freeQuote');
    if (required.gt(free)) {
      return {
        allowed: false,
        rule: 'insufficient_balance',
        action: 'reject',
        reason: `insufficient balance: the order needs ${show(required)} quote including fees, ${show(free)} is free`,
      };
    }
  } else {
    const free = money(state.freeBase, 'freeBase');
    if (quantity.gt(free)) {
      return {
        allowed: false,
        rule: 'insufficient_balance',
        action: 'reject',
        reason: `insufficient balance: the order sells ${show(quantity)} base, ${show(free)} is free`,
      };
    }
  }
  return ALLOWED;
}
