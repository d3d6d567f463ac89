/**
 * The exchange ports: what services, the worker and the paper exchange depend on.
 * Amounts and prices are decimal STRINGS at this boundary (never floats); times are ms UTC.
 * Candles stay numeric (`OhlcvRow`): they feed the float-based engine and indicators.
 */
import type { OhlcvRow } from '@/server/core/candles';

/** A base-10 number as text, e.g. "0.00123". */
export type DecimalString = string;

export interface MarketInfo {
  symbol: string; // unified, e.g. "BTC/USDT"
  id: string; // exchange's id, e.g. "BTCUSDT"
  base: string;
  quote: string;
  active: boolean;
  /** Price tick and amount step as decimals (e.g. "0.01", "0.00001"); null when unknown. */
  priceTick: DecimalString | null;
  amountStep: DecimalString | null;
  minAmount: DecimalString | null;
  minCost: DecimalString | null;
}

export interface Ticker {
  symbol: string;
  timeMs: number;
  last: DecimalString | null;
  bid: DecimalString | null;
  ask: DecimalString | null;
  baseVolume: DecimalString | null;
}

/** [price, amount] */
export type BookLevel = [DecimalString, DecimalString];

export interface OrderBook {
  symbol: string;
  timeMs: number | null;
  bids: BookLevel[]; // best (highest) first
  asks: BookLevel[]; // best (lowest) first
}

export interface MarketData {
  readonly exchangeId: string;
  loadMarkets(): Promise<Record<string, MarketInfo>>;
  fetchTicker(symbol: string): Promise<Ticker>;
  /** Every market's 24 h quote volume in one request (pair lists ranked by volume: docs/backtesting.md). */
  fetchQuoteVolumes(): Promise<Record<string, DecimalString | null>>;
  fetchOrderBook(symbol: string, depth?: number): Promise<OrderBook>;
  /** Candles as the exchange returns them (the last one may still be forming). */
  fetchOHLCV(symbol: string, timeframe: string, sinceMs?: number, limit?: number): Promise<OhlcvRow[]>;
}

export type OrderSide = 'buy' | 'sell';
export type OrderType = 'market' | 'limit';
export type TimeInForce = 'GTC' | 'IOC' | 'FOK';

export interface OrderRequest {
  symbol: string;
  side: OrderSide;
  type: OrderType;
  amount: DecimalString; // base units
  price?: DecimalString; // required for limit orders
  /** Our deterministic id, written to Postgres before the call; sent to the exchange (Binance: newClientOrderId). */
  clientOrderId: string;
  timeInForce?: TimeInForce;
  /**
   * For market orders: a recent price used only to check the market's minimum cost before sending.
   * Without it, the minimum-cost check is skipped for market orders (the exchange still enforces it).
   */
  referencePrice?: DecimalString;
}

/** The exchange's view of an order, normalised. `status` is ccxt's; the order state machine maps it. */
export type ExchangeOrderStatus = 'open' | 'closed' | 'canceled' | 'expired' | 'rejected';

export interface ExchangeOrder {
  id: string;
  clientOrderId: string | null;
  symbol: string;
  side: OrderSide;
  type: string;
  status: ExchangeOrderStatus | null;
  amount: DecimalString | null;
  filled: DecimalString | null;
  remaining: DecimalString | null;
  price: DecimalString | null;
  average: DecimalString | null;
  cost: DecimalString | null;
  fee: { currency: string; cost: DecimalString } | null;
  timeMs: number | null;
  updatedMs: number | null;
}

/** Identifies an order by the exchange's id or by our clientOrderId (enough to reconcile an ambiguous create). */
export type OrderRef = { id: string; clientOrderId?: undefined } | { id?: undefined; clientOrderId: string };

export interface BalanceEntry {
  free: DecimalString;
  used: DecimalString;
  total: DecimalString;
}

export type Balances = Record<string, BalanceEntry>;

/** One of our trades, as the exchange reports it (amounts and prices as decimal strings). */
export interface ExchangeTrade {
  /** The exchange's trade id: with the order, the fill's idempotency key. */
  id: string;
  /** The exchange's id of the order the trade belongs to. */
  orderId: string | null;
  symbol: string;
  side: OrderSide | null;
  price: DecimalString;
  amount: DecimalString;
  fee: { currency: string; cost: DecimalString } | null;
  takerOrMaker: 'taker' | 'maker' | null;
  timeMs: number | null;
}

/**
 * The trades of one order: how reconciliation learns of fills it has not applied yet. Not part of
 * `Execution`: the paper exchange reports its trades with the order itself.
 */
export interface TradeHistory {
  /** Every trade of the order with this exchange id (oldest first); `sinceMs` only narrows a fallback scan of the account's trades. */
  fetchOrderTrades(orderId: string, symbol: string, sinceMs?: number): Promise<ExchangeTrade[]>;
}

export interface Execution {
  readonly exchangeId: string;
  createOrder(request: OrderRequest): Promise<ExchangeOrder>;
  cancelOrder(ref: OrderRef, symbol: string): Promise<ExchangeOrder>;
  fetchOrder(ref: OrderRef, symbol: string): Promise<ExchangeOrder>;
  fetchOpenOrders(symbol?: string): Promise<ExchangeOrder[]>;
  /** Non-zero balances only. */
  fetchBalance(): Promise<Balances>;
}
