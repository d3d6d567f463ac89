/**
 * The one place that talks to ccxt: `MarketData` + `Execution` (+ `TradeHistory`, for reconciliation) for any ccxt exchange id.
 *
 * - Markets are loaded once per exchange (and API base URL) per process and shared by every instance.
 * - Orders are rounded to the market's precision (ccxt amountToPrecision / priceToPrecision) and
 *   checked against its minimum amount and cost BEFORE anything is sent.
 * - Errors become one `ExchangeError` (see errors.ts). Reads are retried with exponential backoff on
 *   `retryable` errors, a bounded number of times; createOrder and cancelOrder are sent exactly once
 *   (a lost response is `ambiguous` and left to reconciliation by clientOrderId).
 * - Every request first takes a token from the process-wide buckets of its exchange and its account,
 *   on top of ccxt's `enableRateLimit`.
 * - apiKey / secret / password never appear in errors or logs (redacted from ccxt's messages).
 */
import { createHash } from 'node:crypto';
import * as ccxt from 'ccxt';
import Decimal from 'decimal.js';
import type { OhlcvRow } from '@/server/core/candles';
import { timeframeToMs } from '@/server/core/timeframe';
import { validateCandles } from '@/server/core/market/validate';
import { ExchangeError, mapCcxtError, type ExchangeOperation } from './errors';
import type {
  Balances,
  DecimalString,
  ExchangeOrder,
  ExchangeOrderStatus,
  ExchangeTrade,
  Execution,
  MarketData,
  MarketInfo,
  OrderBook,
  OrderRef,
  Ticker,
  TradeHistory,
} from './ports';
import { sharedLimiter, systemClock, type Clock, type RateLimit } from './rate-limit';

export interface ExchangeCredentials {
  apiKey: string;
  secret: string;
  password?: string;
}

/** Structured logger (pino's shape); never given secrets. */
export interface ExchangeLogger {
  warn(details: object, message: string): void;
}

export interface CcxtExchangeOptions {
  /** Any id in `ccxt.exchanges`, e.g. "binance", "kraken". */
  exchangeId: string;
  credentials?: ExchangeCredentials;
  /** Key for the per-account rate limit; defaults to a hash of the apiKey (never the key itself). */
  accountId?: string;
  /** Per-request timeout handed to ccxt. */
  timeoutMs: number;
  /** Limits for this exchange (shared by all accounts) — also applied per account. */
  rateLimit: RateLimit;
  /** Per-account limits when different from the exchange's. */
  accountRateLimit?: RateLimit;
  /** Overrides of ccxt's `urls.api` entries (tests point them at a local server). */
  urls?: Record<string, string>;
  /** Extra ccxt options, merged over our per-exchange defaults. */
  ccxtOptions?: Record<string, unknown>;
  /** Read retries: total attempts (>= 1), first backoff and cap, in ms. */
  retry?: { attempts: number; baseDelayMs: number; maxDelayMs: number };
  /** How long loaded markets stay fresh in the shared cache. */
  marketsTtlMs?: number;
  clock?: Clock;
  logger?: ExchangeLogger;
}

export interface OhlcvHistoryProgress {
  /** Candles yielded so far. */
  fetched: number;
  /** Candles dropped by validation so far. */
  rejected: number;
  /** Open time of the last candle yielded, ms UTC: resume from here + one timeframe. */
  lastTimeMs: number;
  /** 0..1 of [sinceMs, untilMs) covered. */
  fraction: number;
}

export interface OhlcvHistoryOptions {
  onProgress?: (progress: OhlcvHistoryProgress) => void;
  signal?: AbortSignal;
  /** Candles per request; defaults to the exchange's documented maximum (Binance: 1000) or 500. */
  pageLimit?: number;
}

export interface CcxtExchange extends MarketData, Execution, TradeHistory {
  /** Market info for a symbol (loads markets if needed); throws `rejected` for an unknown symbol. */
  market(symbol: string): Promise<MarketInfo>;
  /**
   * Closed candles with open time in [sinceMs, untilMs), page by page, validated, ascending.
   * Resume an interrupted import by passing the last stored time + one timeframe as `sinceMs`.
   * Stops at untilMs, or when the exchange has no more data.
   */
  fetchOhlcvHistory(symbol: string, timeframe: string, sinceMs: number, untilMs: number, options?: OhlcvHistoryOptions): AsyncGenerator<OhlcvRow[]>;
}

/** Options that keep ccxt on the spot endpoints our ports cover (and off sapi / futures calls). */
const EXCHANGE_DEFAULTS: Record<string, Record<string, unknown>> = {
  binance: {
    defaultType: 'spot',
    fetchMarkets: { types: ['spot'] },
    fetchCurrencies: false, // sapi capital/config/getall: needs wallet permissions, not needed for spot trading
    fetchMargins: false, // sapi margin/allPairs
    warnOnFetchOpenOrdersWithoutSymbol: false,
  },
};

/** ccxt's `TICK_SIZE` precision mode (precision given as a tick, not a number of decimals). */
const CCXT_TICK_SIZE = 4;
const DEFAULT_RETRY = { attempts: 4, baseDelayMs: 250, maxDelayMs: 10_000 };
const DEFAULT_MARKETS_TTL_MS = 60 * 60_000;

interface CachedMarkets {
  loadedAt: number;
  markets: ccxt.Dictionary<ccxt.MarketInterface>;
  currencies: unknown;
}
const marketCache = new Map<string, Promise<CachedMarkets>>();

/** Drops the shared market cache (all exchanges); for tests and an admin "reload markets". */
export function clearMarketCache(): void {
  marketCache.clear();
}

const DECIMAL_PATTERN = /^(?:\d+\.?\d*|\.\d+)$/;

function positiveDecimal(value: string | undefined, field: string, context: { exchangeId: string }): Decimal {
  if (value === undefined || !DECIMAL_PATTERN.test(value)) {
    throw new ExchangeError('rejected', `${field} must be a positive decimal string, got ${JSON.stringify(value)}`, {
      exchangeId: context.exchangeId,
      operation: 'createOrder',
    });
  }
  const decimal = new Decimal(value);
  if (decimal.lte(0) || decimal.gt('1e15')) {
    throw new ExchangeError('rejected', `${field} ${value} is out of range`, { exchangeId: context.exchangeId, operation: 'createOrder' });
  }
  return decimal;
}

/**
 * The one place a ccxt exchange object is made: ccxt's class for `exchangeId` with `config`, or null when ccxt has
 * no such id. createCcxtExchange wraps it for trading and market data; the catalog reads a bare one's metadata.
 */
export function newCcxtClient(exchangeId: string, config: object = {}): ccxt.Exchange | null {
  const classes = ccxt.exchanges as unknown as Record<string, (new (config?: object) => ccxt.Exchange) | undefined>;
  const ExchangeClass = Object.hasOwn(classes, exchangeId) ? classes[exchangeId] : undefined;
  return typeof ExchangeClass === 'function' ? new ExchangeClass(config) : null;
}

export function createCcxtExchange(options: CcxtExchangeOptions): CcxtExchange {
  const { exchangeId, credentials } = options;
  const clock = options.clock ?? systemClock;
  const retry = options.retry ?? DEFAULT_RETRY;
  const secrets = [credentials?.apiKey, credentials?.secret, credentials?.password];

  const client = newCcxtClient(exchangeId, {
    enableRateLimit: true,
    timeout: options.timeoutMs,
    ...(credentials ? { apiKey: credentials.apiKey, secret: credentials.secret, ...(credentials.password ? { password: credentials.password } : {}) } : {}),
    options: { ...EXCHANGE_DEFAULTS[exchangeId], ...options.ccxtOptions },
  });
  if (client === null) throw new RangeError(`unknown ccxt exchange id "${exchangeId}"`);
  const exchange: ccxt.Exchange = client;
  if (options.urls) {
    const api = exchange.urls['api'];
    exchange.urls['api'] = typeof api === 'object' && api !== null ? { ...(api as Record<string, string>), ...options.urls } : options.urls;
  }

  const limiters = [sharedLimiter(`exchange:${exchangeId}`, options.rateLimit, clock)];
  if (credentials) {
    const accountKey = options.accountId ?? createHash('sha256').update(credentials.apiKey).digest('hex').slice(0, 16);
    limiters.push(sharedLimiter(`account:${exchangeId}:${accountKey}`, options.accountRateLimit ?? options.rateLimit, clock));
  }
  const cacheKey = `${exchangeId}|${JSON.stringify(options.urls ?? {})}`;
  const marketsTtl = options.marketsTtlMs ?? DEFAULT_MARKETS_TTL_MS;

  const fail = (error: unknown, operation: ExchangeOperation) =>
    mapCcxtError(error, { exchangeId, operation, secrets, responseHeaders: exchange.last_response_headers });

  async function throttle() {
    for (const limiter of limiters) await limiter.acquire();
  }

  /** A read: retried with exponential backoff (or the server's Retry-After) on retryable errors. */
  async function read<T>(operation: ExchangeOperation, call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      await throttle();
      try {
        return await call();
      } catch (error) {
        const mapped = fail(error, operation);
        if (mapped.kind !== 'retryable' || attempt >= retry.attempts) throw mapped;
        const backoff = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
        const retryAfter = mapped.details.retryAfterMs;
        // A server asking for a longer pause than we are willing to wait (a 418 ban): give up now.
        if (retryAfter !== undefined && retryAfter > retry.maxDelayMs) throw mapped;
        const delay = Math.max(backoff, retryAfter ?? 0);
        options.logger?.warn(
          { exchangeId, operation, attempt, delayMs: delay, kind: mapped.kind, ccxtError: mapped.details.ccxtError },
          'exchange read failed, retrying',
        );
        await clock.sleep(delay);
      }
    }
  }

  /** A mutation: sent once; whatever happens is reported, never retried here. */
  async function once<T>(operation: ExchangeOperation, call: () => Promise<T>): Promise<T> {
    await throttle();
    try {
      return await call();
    } catch (error) {
      throw fail(error, operation);
    }
  }

  async function ensureMarkets(): Promise<void> {
    let cached = marketCache.get(cacheKey);
    if (cached) {
      const value = await cached.catch(() => undefined);
      if (!value || clock.now() - value.loadedAt > marketsTtl) cached = undefined;
    }
    if (!cached) {
      const loading: Promise<CachedMarkets> = read('loadMarkets', async () => {
        await exchange.loadMarkets(true);
        return { loadedAt: clock.now(), markets: (exchange.markets ?? {}) as ccxt.Dictionary<ccxt.MarketInterface>, currencies: exchange.currencies };
      });
      marketCache.set(cacheKey, loading);
      loading.catch(() => marketCache.delete(cacheKey));
      cached = loading;
    }
    const { markets, currencies } = await cached;
    if (exchange.markets !== markets) exchange.setMarkets(markets, currencies as never);
  }

  const str = (value: number | string | undefined | null): DecimalString | null =>
    value === undefined || value === null || (typeof value === 'number' && !Number.isFinite(value)) ? null : exchange.numberToString(value);

  /** A precision as a tick/step decimal, whatever the exchange's precision mode. */
  const tick = (precision: number | undefined): DecimalString | null => {
    if (precision === undefined || precision === null) return null;
    if (exchange.precisionMode === CCXT_TICK_SIZE) return exchange.numberToString(precision);
    return new Decimal(10).pow(-precision).toFixed(); // DECIMAL_PLACES
  };

  function toMarketInfo(market: ccxt.MarketInterface): MarketInfo {
    return {
      symbol: market.symbol,
      id: String(market.id),
      base: market.base,
      quote: market.quote,
      active: market.active !== false,
      priceTick: tick(market.precision.price),
      amountStep: tick(market.precision.amount),
      minAmount: str(market.limits.amount?.min),
      minCost: str(market.limits.cost?.min),
    };
  }

  async function ccxtMarket(symbol: string, operation: ExchangeOperation): Promise<ccxt.MarketInterface> {
    await ensureMarkets();
    const market = exchange.markets?.[symbol] as ccxt.MarketInterface | undefined;
    if (!market) throw new ExchangeError('rejected', `${exchangeId} has no market ${symbol}`, { exchangeId, operation });
    return market;
  }

  const STATUSES: ReadonlySet<string> = new Set(['open', 'closed', 'canceled', 'expired', 'rejected']);
  function toOrder(order: ccxt.Order): ExchangeOrder {
    return {
      id: String(order.id),
      // Binance answers a cancel with the cancel request's own id in clientOrderId; ours is origClientOrderId.
      clientOrderId: ((order.info as Record<string, unknown> | undefined)?.['origClientOrderId'] as string | undefined) ?? order.clientOrderId ?? null,
      symbol: String(order.symbol),
      side: order.side as 'buy' | 'sell',
      type: String(order.type),
      status: order.status && STATUSES.has(order.status) ? (order.status as ExchangeOrderStatus) : null,
      amount: str(order.amount),
      filled: str(order.filled),
      remaining: str(order.remaining),
      price: str(order.price),
      average: str(order.average),
      cost: str(order.cost),
      fee: order.fee && order.fee.currency && order.fee.cost !== undefined ? { currency: order.fee.currency, cost: str(order.fee.cost)! } : null,
      timeMs: order.timestamp ?? null,
      updatedMs: order.lastUpdateTimestamp ?? order.lastTradeTimestamp ?? null,
    };
  }

  function toTrade(trade: ccxt.Trade): ExchangeTrade | null {
    const price = str(trade.price);
    const amount = str(trade.amount);
    if (trade.id === undefined || trade.id === null || price === null || amount === null) return null;
    return {
      id: String(trade.id),
      orderId: trade.order === undefined || trade.order === null ? null : String(trade.order),
      symbol: String(trade.symbol),
      side: trade.side === 'buy' || trade.side === 'sell' ? trade.side : null,
      price,
      amount,
      fee:
        trade.fee && trade.fee.currency && trade.fee.cost !== undefined && trade.fee.cost !== null
          ? { currency: trade.fee.currency, cost: str(trade.fee.cost)! }
          : null,
      takerOrMaker: trade.takerOrMaker === 'taker' || trade.takerOrMaker === 'maker' ? trade.takerOrMaker : null,
      timeMs: trade.timestamp ?? null,
    };
  }

  const refParams = (ref: OrderRef) => (ref.clientOrderId !== undefined ? { clientOrderId: ref.clientOrderId } : {});
  const refId = (ref: OrderRef) => (ref.id !== undefined ? ref.id : '');

  const adapter: CcxtExchange = {
    exchangeId,

    async loadMarkets() {
      await ensureMarkets();
      return Object.fromEntries(Object.values((exchange.markets ?? {}) as ccxt.Dictionary<ccxt.MarketInterface>).map((m) => [m.symbol, toMarketInfo(m)]));
    },

    async market(symbol) {
      return toMarketInfo(await ccxtMarket(symbol, 'loadMarkets'));
    },

    async fetchTicker(symbol) {
      await ccxtMarket(symbol, 'fetchTicker');
      const t = await read('fetchTicker', () => exchange.fetchTicker(symbol));
      const ticker: Ticker = {
        symbol: String(t.symbol),
        timeMs: t.timestamp ?? clock.now(),
        last: str(t.last),
        bid: str(t.bid),
        ask: str(t.ask),
        baseVolume: str(t.baseVolume),
      };
      return ticker;
    },

    async fetchQuoteVolumes() {
      await ensureMarkets();
      const tickers = await read('fetchTickers', () => exchange.fetchTickers());
      return Object.fromEntries(Object.values(tickers).map((t) => [String(t.symbol), str(t.quoteVolume)]));
    },

    async fetchOrderBook(symbol, depth) {
      await ccxtMarket(symbol, 'fetchOrderBook');
      const book = await read('fetchOrderBook', () => exchange.fetchOrderBook(symbol, depth));
      const levels = (side: ccxt.OrderBook['bids']) => side.slice(0, depth ?? side.length).map(([p, a]) => [str(p)!, str(a)!] as [string, string]);
      const result: OrderBook = { symbol, timeMs: book.timestamp ?? null, bids: levels(book.bids), asks: levels(book.asks) };
      return result;
    },

    async fetchOHLCV(symbol, timeframe, sinceMs, limit) {
      await ccxtMarket(symbol, 'fetchOHLCV');
      const rows = await read('fetchOHLCV', () => exchange.fetchOHLCV(symbol, timeframe, sinceMs, limit));
      return rows.map((r) => [Number(r[0]), Number(r[1]), Number(r[2]), Number(r[3]), Number(r[4]), Number(r[5])] as OhlcvRow);
    },

    async *fetchOhlcvHistory(symbol, timeframe, sinceMs, untilMs, historyOptions = {}) {
      const step = timeframeToMs(timeframe);
      const featureLimit = (exchange.features as { spot?: { fetchOHLCV?: { limit?: number } } } | undefined)?.spot?.fetchOHLCV?.limit;
      const limit = historyOptions.pageLimit ?? featureLimit ?? 500;
      let cursor = Math.ceil(sinceMs / step) * step;
      let fetched = 0;
      let rejected = 0;
      while (cursor < untilMs) {
        historyOptions.signal?.throwIfAborted();
        const page = await adapter.fetchOHLCV(symbol, timeframe, cursor, limit);
        const now = clock.now();
        // Only closed candles inside the range; a page may start before `cursor` on some exchanges.
        const inRange = page.filter((r) => r[0] >= cursor && r[0] < untilMs && r[0] + step <= now);
        if (inRange.length === 0) return; // no more data
        const validated = validateCandles(inRange, timeframe);
        rejected += validated.rejected.length;
        if (validated.rejected.length > 0) {
          options.logger?.warn({ exchangeId, symbol, timeframe, rejected: validated.rejected.slice(0, 5) }, 'exchange returned invalid candles');
        }
        cursor = Math.max(...inRange.map((r) => r[0])) + step;
        if (validated.accepted.length > 0) {
          fetched += validated.accepted.length;
          const lastTimeMs = validated.accepted[validated.accepted.length - 1]![0];
          historyOptions.onProgress?.({ fetched, rejected, lastTimeMs, fraction: Math.min(1, (cursor - sinceMs) / Math.max(1, untilMs - sinceMs)) });
          yield validated.accepted;
        }
      }
    },

    async createOrder(request) {
      const market = await ccxtMarket(request.symbol, 'createOrder');
      const context = { exchangeId };
      const details = { exchangeId, operation: 'createOrder' as const };
      if (!request.clientOrderId) throw new ExchangeError('rejected', 'clientOrderId is required', details);
      positiveDecimal(request.amount, 'amount', context);
      let amount: string;
      let price: string | undefined;
      try {
        amount = exchange.amountToPrecision(request.symbol, request.amount) as string;
        if (request.type === 'limit') price = exchange.priceToPrecision(request.symbol, positiveDecimal(request.price, 'price', context).toFixed()) as string;
      } catch (error) {
        if (error instanceof ExchangeError) throw error;
        throw new ExchangeError(
          'rejected',
          `${request.symbol}: amount ${request.amount} rounds below the market's precision (${tick(market.precision.amount)})`,
          details,
        );
      }
      const roundedAmount = new Decimal(amount);
      if (roundedAmount.lte(0))
        throw new ExchangeError('rejected', `${request.symbol}: amount ${request.amount} rounds to 0 at step ${tick(market.precision.amount)}`, details);
      const minAmount = market.limits.amount?.min;
      if (minAmount !== undefined && roundedAmount.lt(minAmount)) {
        throw new ExchangeError('rejected', `${request.symbol}: amount ${amount} is below the minimum ${str(minAmount)}`, details);
      }
      const costPrice =
        price ?? (request.referencePrice !== undefined ? positiveDecimal(request.referencePrice, 'referencePrice', context).toFixed() : undefined);
      const minCost = market.limits.cost?.min;
      if (minCost !== undefined && costPrice !== undefined && roundedAmount.mul(costPrice).lt(minCost)) {
        throw new ExchangeError(
          'rejected',
          `${request.symbol}: order cost ${roundedAmount.mul(costPrice).toFixed()} is below the minimum ${str(minCost)} ${market.quote}`,
          details,
        );
      }
      const params: Record<string, unknown> = { clientOrderId: request.clientOrderId };
      if (request.type === 'limit') params.timeInForce = request.timeInForce ?? 'GTC';
      const order = await once('createOrder', () =>
        exchange.createOrder(request.symbol, request.type, request.side, Number(amount), price === undefined ? undefined : Number(price), params),
      );
      const normalized = toOrder(order);
      return { ...normalized, clientOrderId: normalized.clientOrderId ?? request.clientOrderId };
    },

    async cancelOrder(ref, symbol) {
      await ccxtMarket(symbol, 'cancelOrder');
      return toOrder(await once('cancelOrder', () => exchange.cancelOrder(refId(ref), symbol, refParams(ref))));
    },

    async fetchOrder(ref, symbol) {
      await ccxtMarket(symbol, 'fetchOrder');
      return toOrder(await read('fetchOrder', () => exchange.fetchOrder(refId(ref), symbol, refParams(ref))));
    },

    async fetchOrderTrades(orderId, symbol, sinceMs) {
      await ccxtMarket(symbol, 'fetchOrderTrades');
      let trades: ccxt.Trade[];
      if (exchange.has['fetchOrderTrades']) {
        trades = await read('fetchOrderTrades', () => exchange.fetchOrderTrades(orderId, symbol));
      } else if (exchange.has['fetchMyTrades']) {
        trades = await read('fetchOrderTrades', () => exchange.fetchMyTrades(symbol, sinceMs));
      } else {
        throw new ExchangeError('rejected', `${exchangeId} cannot list the trades of an order`, { exchangeId, operation: 'fetchOrderTrades' });
      }
      // fetchMyTrades lists the account's trades in the market: keep this order's (and never another's).
      return trades
        .filter((t) => t.order !== undefined && t.order !== null && String(t.order) === orderId)
        .map(toTrade)
        .filter((t): t is ExchangeTrade => t !== null)
        .sort((a, b) => (a.timeMs ?? 0) - (b.timeMs ?? 0));
    },

    async fetchOpenOrders(symbol) {
      if (symbol) await ccxtMarket(symbol, 'fetchOpenOrders');
      else await ensureMarkets();
      const orders = await read('fetchOpenOrders', () => exchange.fetchOpenOrders(symbol));
      return orders.map(toOrder);
    },

    async fetchBalance() {
      await ensureMarkets();
      const balance = await read('fetchBalance', () => exchange.fetchBalance());
      const result: Balances = {};
      const totals = (balance.total ?? {}) as unknown as Record<string, number | undefined>;
      for (const [currency, total] of Object.entries(totals)) {
        const entry = balance[currency] as ccxt.BalanceAccount | undefined;
        if (!entry || !total) continue;
        result[currency] = { free: str(entry.free) ?? '0', used: str(entry.used) ?? '0', total: str(total) ?? '0' };
      }
      return result;
    },
  };
  return adapter;
}
