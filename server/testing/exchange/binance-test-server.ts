/**
 * A local HTTP server (node:http) that speaks enough of Binance's spot REST API for ccxt's real
 * `binance` class: markets, klines, ticker, depth, time, and the signed order/account endpoints with
 * the HMAC-SHA256 signature CHECKED (Binance's -1022 on a mismatch) and recvWindow enforced (-1021).
 *
 * For tests only: it never touches the network beyond 127.0.0.1. Faults are injected per test with
 * `failNext`, and every request is recorded in `requests` so tests can count what ccxt actually sent.
 * Resting limit orders fill only when a test says the market traded through them (`fillOrder`); what
 * happens on the exchange without Cryptobot (someone placing or canceling orders on the website) is
 * `placeExternalOrder` / `cancelExternally`. Every fill is a trade served by `myTrades`.
 *
 * Point ccxt at it with `binanceApiUrls(server.baseUrl)` as the adapter's `urls` option.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import * as ccxt from 'ccxt';
import Decimal from 'decimal.js';
import type { OhlcvRow } from '@/server/core/candles';
import { timeframeToMs } from '@/server/core/timeframe';

export interface TestSymbol {
  /** Binance id, e.g. "BTCUSDT". */
  id: string;
  base: string;
  quote: string;
  tickSize: string;
  stepSize: string;
  minQty: string;
  minNotional: string;
  /** 24 h base volume its ticker reports (default 1000): quote volume = last price × this. */
  volume24h?: string;
}

export const DEFAULT_SYMBOLS: TestSymbol[] = [
  { id: 'BTCUSDT', base: 'BTC', quote: 'USDT', tickSize: '0.01', stepSize: '0.00001', minQty: '0.00001', minNotional: '5' },
  { id: 'ETHUSDT', base: 'ETH', quote: 'USDT', tickSize: '0.01', stepSize: '0.0001', minQty: '0.0001', minNotional: '5' },
  { id: 'SOLUSDT', base: 'SOL', quote: 'USDT', tickSize: '0.01', stepSize: '0.001', minQty: '0.001', minNotional: '5' },
];

export type Fault =
  /** Never answer (the request is not processed). */
  | { kind: 'hang' }
  /** Process the request (e.g. place the order), then never answer: the classic ambiguous outcome. */
  | { kind: 'hangAfterAccept' }
  /** Process the request, then answer with an HTTP error anyway (Binance: a 5xx means "execution status unknown"). */
  | { kind: 'statusAfterAccept'; status: number; code?: number; msg?: string }
  /** An HTTP status with a Binance-style body, e.g. 429 (+ Retry-After), 418, 500, 503. */
  | { kind: 'status'; status: number; retryAfterSec?: number; code?: number; msg?: string }
  /** A Binance error code in a 400 body, e.g. -2010, -1021, -2013. */
  | { kind: 'binanceError'; status?: number; code: number; msg: string };

export const faults = {
  timeoutAfterAccept: (): Fault => ({ kind: 'hangAfterAccept' }),
  hang: (): Fault => ({ kind: 'hang' }),
  rateLimited: (retryAfterSec = 1): Fault => ({
    kind: 'status',
    status: 429,
    retryAfterSec,
    code: -1003,
    msg: 'Too much request weight used; current limit is 6000 request weight per 1 MINUTE.',
  }),
  ipBanned: (retryAfterSec = 120): Fault => ({ kind: 'status', status: 418, retryAfterSec, code: -1003, msg: 'Way too much request weight used; IP banned.' }),
  serverError: (status = 503): Fault => ({ kind: 'status', status, msg: 'Service Unavailable.' }),
  serverErrorAfterAccept: (status = 503): Fault => ({
    kind: 'statusAfterAccept',
    status,
    msg: 'Internal error; unable to process your request. Please try again.',
  }),
  insufficientBalance: (): Fault => ({ kind: 'binanceError', code: -2010, msg: 'Account has insufficient balance for requested action.' }),
  timestampOutsideRecvWindow: (): Fault => ({ kind: 'binanceError', code: -1021, msg: 'Timestamp for this request is outside of the recvWindow.' }),
  orderNotFound: (): Fault => ({ kind: 'binanceError', code: -2013, msg: 'Order does not exist.' }),
};

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
}

interface StoredOrder {
  symbol: string;
  orderId: number;
  clientOrderId: string;
  price: Decimal;
  origQty: Decimal;
  executedQty: Decimal;
  cummulativeQuoteQty: Decimal;
  status: 'NEW' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED';
  timeInForce: string;
  type: string;
  side: 'BUY' | 'SELL';
  time: number;
  updateTime: number;
}

export interface StoredTrade {
  id: number;
  orderId: number;
  symbol: string;
  price: Decimal;
  qty: Decimal;
  commission: Decimal;
  commissionAsset: string;
  time: number;
  isBuyer: boolean;
  isMaker: boolean;
}

/** An order as someone outside Cryptobot would place it (Binance's website, another bot). */
export interface ExternalOrderInput {
  symbol: string;
  side: 'BUY' | 'SELL';
  type: 'LIMIT' | 'MARKET';
  quantity: string;
  price?: string;
  clientOrderId?: string;
}

const isResting = (o: StoredOrder) => o.status === 'NEW' || o.status === 'PARTIALLY_FILLED';

interface FaultRule {
  method?: string;
  path: string;
  remaining: number;
  fault: Fault;
}

export interface BinanceTestServerOptions {
  apiKey?: string;
  secret?: string;
  symbols?: TestSymbol[];
  /** Klines by Binance symbol id and interval, ascending. */
  klines?: Record<string, Record<string, OhlcvRow[]>>;
  /** Starting balances, e.g. { USDT: '10000', BTC: '1' }. */
  balances?: Record<string, string>;
  /** The server's clock (ms); klines opening after it are not served. Default Date.now. */
  now?: () => number;
  /** Maker/taker fee rate for market fills. */
  feeRate?: string;
}

/** ccxt's binance `urls.api` with every entry pointed at `baseUrl` (same paths). */
export function binanceApiUrls(baseUrl: string): Record<string, string> {
  const api = new ccxt.binance().urls['api'] as Record<string, string>;
  const result: Record<string, string> = {};
  for (const [key, url] of Object.entries(api)) {
    if (typeof url === 'string') result[key] = baseUrl + new URL(url).pathname;
  }
  return result;
}

const fmt = (d: Decimal) => d.toFixed(8);

export class BinanceTestServer {
  readonly apiKey: string;
  readonly secret: string;
  readonly symbols: TestSymbol[];
  readonly klines: Record<string, Record<string, OhlcvRow[]>>;
  readonly balances = new Map<string, { free: Decimal; locked: Decimal }>();
  readonly orders = new Map<number, StoredOrder>();
  /** Every trade, in execution order (ids increase across symbols). */
  readonly trades: StoredTrade[] = [];
  /** Every request received, in order (faulted ones included). */
  readonly requests: RecordedRequest[] = [];
  now: () => number;
  private readonly feeRate: Decimal;
  private readonly rules: FaultRule[] = [];
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  private nextOrderId = 1;
  private nextTradeId = 1;
  baseUrl = '';

  constructor(options: BinanceTestServerOptions = {}) {
    this.apiKey = options.apiKey ?? 'test-api-key-0123456789';
    this.secret = options.secret ?? 'test-secret-abcdefghijklmnop';
    this.symbols = options.symbols ?? DEFAULT_SYMBOLS;
    this.klines = options.klines ?? {};
    this.now = options.now ?? Date.now;
    this.feeRate = new Decimal(options.feeRate ?? '0.001');
    for (const [asset, amount] of Object.entries(options.balances ?? { USDT: '10000', BTC: '1' })) {
      this.balances.set(asset, { free: new Decimal(amount), locked: new Decimal(0) });
    }
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => this.send(res, 500, { code: -1000, msg: String(error) }));
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The next `times` requests matching (method, path) get `fault` instead of a normal answer. */
  failNext(match: { method?: string; path: string; times?: number }, fault: Fault): void {
    this.rules.push({ method: match.method, path: match.path, remaining: match.times ?? 1, fault });
  }

  /** Drops every pending fault. */
  clearFaults(): void {
    this.rules.length = 0;
  }

  count(method: string, pathname: string): number {
    return this.requests.filter((r) => r.method === method && r.path === pathname).length;
  }

  /** Places an order directly on the book, as someone outside Cryptobot would; throws if the server refuses it. */
  placeExternalOrder(input: ExternalOrderInput): StoredOrder {
    const q = new URLSearchParams({ symbol: input.symbol, side: input.side, type: input.type, quantity: input.quantity });
    if (input.price !== undefined) q.set('price', input.price);
    q.set('newClientOrderId', input.clientOrderId ?? `web_${this.nextOrderId}`);
    const result = this.createOrder(q);
    if (result.status !== 200) throw new Error(`test server refused the external order: ${JSON.stringify(result.body)}`);
    return this.orders.get((result.body as { orderId: number }).orderId)!;
  }

  /** Cancels a resting order on the exchange's side (the user on Binance's website), not through the API. */
  cancelExternally(orderId: number): StoredOrder {
    const order = this.orders.get(orderId);
    if (!order) throw new Error(`test server: no order ${orderId}`);
    const result = this.cancelOrder(new URLSearchParams({ symbol: order.symbol, orderId: String(orderId) }));
    if (result.status !== 200) throw new Error(`test server could not cancel ${orderId}: ${JSON.stringify(result.body)}`);
    return order;
  }

  /** The market traded through a resting limit order: fill `quantity` of it (default: all that remains) at its price, as a maker. */
  fillOrder(orderId: number, quantity?: string): StoredTrade {
    const order = this.orders.get(orderId);
    if (!order || !isResting(order) || order.type !== 'LIMIT') throw new Error(`test server: order ${orderId} is not a resting limit order`);
    const remaining = order.origQty.minus(order.executedQty);
    const qty = quantity === undefined ? remaining : new Decimal(quantity);
    if (qty.lte(0) || qty.gt(remaining)) throw new Error(`test server: cannot fill ${qty.toFixed()} of order ${orderId}, ${remaining.toFixed()} remains`);
    const s = this.symbol(order.symbol)!;
    const notional = order.price.mul(qty);
    const base = this.balance(s.base);
    const quote = this.balance(s.quote);
    const fee = (order.side === 'BUY' ? qty : notional).mul(this.feeRate);
    if (order.side === 'BUY') {
      quote.locked = quote.locked.minus(notional);
      base.free = base.free.plus(qty.minus(fee));
    } else {
      base.locked = base.locked.minus(qty);
      quote.free = quote.free.plus(notional.minus(fee));
    }
    order.executedQty = order.executedQty.plus(qty);
    order.cummulativeQuoteQty = order.cummulativeQuoteQty.plus(notional);
    order.status = order.executedQty.eq(order.origQty) ? 'FILLED' : 'PARTIALLY_FILLED';
    order.updateTime = this.now();
    return this.recordTrade(order, order.price, qty, fee, order.side === 'BUY' ? s.base : s.quote, true);
  }

  /** Appends candles (e.g. a newly closed one for a live-feed test). */
  addKlines(symbolId: string, interval: string, rows: OhlcvRow[]): void {
    const series = ((this.klines[symbolId] ??= {})[interval] ??= []);
    series.push(...rows);
    series.sort((a, b) => a[0] - b[0]);
  }

  // -------------------------------------------------------------------------------------------

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    if (res.writableEnded || res.destroyed) return;
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  private takeFault(method: string, pathname: string): Fault | undefined {
    const rule = this.rules.find((r) => r.path === pathname && (!r.method || r.method === method) && r.remaining > 0);
    if (!rule) return undefined;
    rule.remaining--;
    return rule.fault;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const query = new URLSearchParams(url.search);
    for (const [k, v] of new URLSearchParams(body)) query.append(k, v);
    this.requests.push({ method, path: url.pathname, query });

    const fault = this.takeFault(method, url.pathname);
    if (fault?.kind === 'hang') return; // the socket stays open until the client gives up or close()
    if (fault?.kind === 'status') {
      const headers: Record<string, string> = fault.retryAfterSec !== undefined ? { 'Retry-After': String(fault.retryAfterSec) } : {};
      return this.send(res, fault.status, { code: fault.code ?? -1000, msg: fault.msg ?? 'error' }, headers);
    }
    if (fault?.kind === 'binanceError') return this.send(res, fault.status ?? 400, { code: fault.code, msg: fault.msg });
    // statusAfterAccept and hangAfterAccept: processed below, then the answer is replaced or lost.

    const route = `${method} ${url.pathname}`;
    const isSigned = ['/api/v3/order', '/api/v3/openOrders', '/api/v3/account', '/api/v3/myTrades'].includes(url.pathname);
    if (isSigned) {
      const authError = this.checkSignature(req, url.search.slice(1), body);
      if (authError) return this.send(res, authError.status, { code: authError.code, msg: authError.msg });
    }
    let result: { status: number; body: unknown };
    switch (route) {
      case 'GET /api/v3/ping':
        result = { status: 200, body: {} };
        break;
      case 'GET /api/v3/time':
        result = { status: 200, body: { serverTime: this.now() } };
        break;
      case 'GET /api/v3/exchangeInfo':
        result = { status: 200, body: this.exchangeInfo() };
        break;
      case 'GET /api/v3/klines':
        result = this.klinesRoute(query);
        break;
      case 'GET /api/v3/ticker/24hr':
        result = this.tickerRoute(query);
        break;
      case 'GET /api/v3/depth':
        result = this.depthRoute(query);
        break;
      case 'POST /api/v3/order':
        result = this.createOrder(query);
        break;
      case 'GET /api/v3/order':
        result = this.getOrder(query);
        break;
      case 'DELETE /api/v3/order':
        result = this.cancelOrder(query);
        break;
      case 'GET /api/v3/openOrders':
        result = {
          status: 200,
          body: [...this.orders.values()]
            .filter((o) => isResting(o) && (!query.get('symbol') || o.symbol === query.get('symbol')))
            .map((o) => this.orderJson(o)),
        };
        break;
      case 'GET /api/v3/myTrades':
        result = this.myTradesRoute(query);
        break;
      case 'GET /api/v3/account':
        result = { status: 200, body: this.account() };
        break;
      default:
        result = { status: 404, body: { code: -1000, msg: `test server: no route ${route}` } };
    }
    if (fault?.kind === 'hangAfterAccept') return; // processed above, the answer is lost
    if (fault?.kind === 'statusAfterAccept') return this.send(res, fault.status, { code: fault.code ?? -1000, msg: fault.msg ?? 'error' });
    this.send(res, result.status, result.body);
  }

  /** Binance's rules: X-MBX-APIKEY known, HMAC-SHA256(secret, query + body without signature), recvWindow. */
  private checkSignature(req: IncomingMessage, rawQuery: string, rawBody: string): { status: number; code: number; msg: string } | undefined {
    if (req.headers['x-mbx-apikey'] !== this.apiKey) return { status: 401, code: -2015, msg: 'Invalid API-key, IP, or permissions for action.' };
    const strip = (text: string) => {
      const match = /(^|&)signature=([0-9a-fA-F]*)/.exec(text);
      return { payload: match ? text.slice(0, match.index) + text.slice(match.index + match[0].length) : text, signature: match?.[2] };
    };
    const q = strip(rawQuery);
    const b = strip(rawBody);
    const signature = q.signature ?? b.signature;
    const payload = q.payload && b.payload ? `${q.payload}${b.payload}` : q.payload || b.payload;
    const expected = createHmac('sha256', this.secret).update(payload).digest('hex');
    if (!signature || signature.length !== expected.length || !timingSafeEqual(Buffer.from(signature.toLowerCase()), Buffer.from(expected))) {
      return { status: 400, code: -1022, msg: 'Signature for this request is not valid.' };
    }
    const params = new URLSearchParams(payload);
    const timestamp = Number(params.get('timestamp'));
    const recvWindow = Number(params.get('recvWindow') ?? 5000);
    const serverTime = this.now();
    if (!Number.isFinite(timestamp) || timestamp > serverTime + 1000 || serverTime - timestamp > recvWindow) {
      return { status: 400, code: -1021, msg: 'Timestamp for this request is outside of the recvWindow.' };
    }
    return undefined;
  }

  private symbol(id: string | null): TestSymbol | undefined {
    return this.symbols.find((s) => s.id === id);
  }

  private exchangeInfo() {
    return {
      timezone: 'UTC',
      serverTime: this.now(),
      rateLimits: [
        { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 },
        { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 100 },
        { rateLimitType: 'RAW_REQUESTS', interval: 'MINUTE', intervalNum: 5, limit: 61000 },
      ],
      exchangeFilters: [],
      symbols: this.symbols.map((s) => ({
        symbol: s.id,
        status: 'TRADING',
        baseAsset: s.base,
        baseAssetPrecision: 8,
        quoteAsset: s.quote,
        quotePrecision: 8,
        quoteAssetPrecision: 8,
        baseCommissionPrecision: 8,
        quoteCommissionPrecision: 8,
        orderTypes: ['LIMIT', 'LIMIT_MAKER', 'MARKET', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT_LIMIT'],
        icebergAllowed: true,
        ocoAllowed: true,
        otoAllowed: true,
        quoteOrderQtyMarketAllowed: true,
        allowTrailingStop: true,
        cancelReplaceAllowed: true,
        isSpotTradingAllowed: true,
        isMarginTradingAllowed: false,
        filters: [
          { filterType: 'PRICE_FILTER', minPrice: s.tickSize, maxPrice: '1000000.00000000', tickSize: s.tickSize },
          { filterType: 'LOT_SIZE', minQty: s.minQty, maxQty: '9000.00000000', stepSize: s.stepSize },
          { filterType: 'ICEBERG_PARTS', limit: 10 },
          { filterType: 'MARKET_LOT_SIZE', minQty: '0.00000000', maxQty: '100.00000000', stepSize: '0.00000000' },
          { filterType: 'TRAILING_DELTA', minTrailingAboveDelta: 10, maxTrailingAboveDelta: 2000, minTrailingBelowDelta: 10, maxTrailingBelowDelta: 2000 },
          {
            filterType: 'PERCENT_PRICE_BY_SIDE',
            bidMultiplierUp: '5',
            bidMultiplierDown: '0.2',
            askMultiplierUp: '5',
            askMultiplierDown: '0.2',
            avgPriceMins: 5,
          },
          {
            filterType: 'NOTIONAL',
            minNotional: s.minNotional,
            applyMinToMarket: true,
            maxNotional: '9000000.00000000',
            applyMaxToMarket: false,
            avgPriceMins: 5,
          },
          { filterType: 'MAX_NUM_ORDERS', maxNumOrders: 200 },
          { filterType: 'MAX_NUM_ALGO_ORDERS', maxNumAlgoOrders: 5 },
        ],
        permissions: [],
        permissionSets: [['SPOT']],
        defaultSelfTradePreventionMode: 'EXPIRE_MAKER',
        allowedSelfTradePreventionModes: ['NONE', 'EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH'],
      })),
    };
  }

  /** Candles visible at the server's now (the forming one included, as on Binance). */
  private visibleKlines(symbolId: string, interval: string): OhlcvRow[] {
    const rows = this.klines[symbolId]?.[interval] ?? [];
    const now = this.now();
    return rows.filter((r) => r[0] <= now);
  }

  private klinesRoute(query: URLSearchParams) {
    const symbolId = query.get('symbol');
    const interval = query.get('interval') ?? '';
    if (!this.symbol(symbolId)) return { status: 400, body: { code: -1121, msg: 'Invalid symbol.' } };
    let step: number;
    try {
      step = timeframeToMs(interval);
    } catch {
      return { status: 400, body: { code: -1120, msg: 'Invalid interval.' } };
    }
    const limit = Math.min(1000, Number(query.get('limit') ?? 500));
    const startTime = query.has('startTime') ? Number(query.get('startTime')) : undefined;
    const endTime = query.has('endTime') ? Number(query.get('endTime')) : undefined;
    let rows = this.visibleKlines(symbolId!, interval).filter(
      (r) => (startTime === undefined || r[0] >= startTime) && (endTime === undefined || r[0] <= endTime),
    );
    rows = startTime === undefined ? rows.slice(-limit) : rows.slice(0, limit);
    const s = (n: number) => String(n);
    return {
      status: 200,
      body: rows.map((r) => [r[0], s(r[1]), s(r[2]), s(r[3]), s(r[4]), s(r[5]), r[0] + step - 1, s(r[5] * r[4]), 100, s(r[5] / 2), s((r[5] * r[4]) / 2), '0']),
    };
  }

  /** The last close of the symbol's finest interval, or 100 when no candles are loaded. */
  lastPrice(symbolId: string): Decimal {
    const byInterval = this.klines[symbolId] ?? {};
    const intervals = Object.keys(byInterval).sort((a, b) => timeframeToMs(a) - timeframeToMs(b));
    for (const interval of intervals) {
      const last = this.visibleKlines(symbolId, interval).at(-1);
      if (last) return new Decimal(last[4]);
    }
    return new Decimal(100);
  }

  private tickerRoute(query: URLSearchParams): { status: number; body: unknown } {
    // Without a symbol, Binance answers every market's ticker (ccxt fetchTickers).
    if (!query.get('symbol')) return { status: 200, body: this.symbols.map((s) => this.tickerRoute(new URLSearchParams({ symbol: s.id })).body) };
    const s = this.symbol(query.get('symbol'));
    if (!s) return { status: 400, body: { code: -1121, msg: 'Invalid symbol.' } };
    const last = this.lastPrice(s.id);
    const now = this.now();
    return {
      status: 200,
      body: {
        symbol: s.id,
        priceChange: '0.00000000',
        priceChangePercent: '0.000',
        weightedAvgPrice: fmt(last),
        prevClosePrice: fmt(last),
        lastPrice: fmt(last),
        lastQty: '0.01000000',
        bidPrice: fmt(last.minus(s.tickSize)),
        bidQty: '1.00000000',
        askPrice: fmt(last.plus(s.tickSize)),
        askQty: '1.00000000',
        openPrice: fmt(last),
        highPrice: fmt(last),
        lowPrice: fmt(last),
        volume: fmt(new Decimal(s.volume24h ?? '1000')),
        quoteVolume: fmt(last.mul(s.volume24h ?? '1000')),
        openTime: now - 86_400_000,
        closeTime: now,
        firstId: 1,
        lastId: 1000,
        count: 1000,
      },
    };
  }

  private depthRoute(query: URLSearchParams) {
    const s = this.symbol(query.get('symbol'));
    if (!s) return { status: 400, body: { code: -1121, msg: 'Invalid symbol.' } };
    const limit = Math.min(5000, Number(query.get('limit') ?? 100));
    const last = this.lastPrice(s.id);
    const bids: [string, string][] = [];
    const asks: [string, string][] = [];
    for (let i = 1; i <= limit; i++) {
      bids.push([fmt(last.minus(new Decimal(s.tickSize).mul(i))), fmt(new Decimal(i).div(10))]);
      asks.push([fmt(last.plus(new Decimal(s.tickSize).mul(i))), fmt(new Decimal(i).div(10))]);
    }
    return { status: 200, body: { lastUpdateId: this.now(), bids, asks } };
  }

  private balance(asset: string) {
    let entry = this.balances.get(asset);
    if (!entry) {
      entry = { free: new Decimal(0), locked: new Decimal(0) };
      this.balances.set(asset, entry);
    }
    return entry;
  }

  private createOrder(q: URLSearchParams) {
    const s = this.symbol(q.get('symbol'));
    if (!s) return { status: 400, body: { code: -1121, msg: 'Invalid symbol.' } };
    const side = q.get('side') as 'BUY' | 'SELL' | null;
    const type = q.get('type') ?? '';
    if ((side !== 'BUY' && side !== 'SELL') || !['MARKET', 'LIMIT'].includes(type))
      return { status: 400, body: { code: -1106, msg: 'Parameter not supported in this test server.' } };
    const quantity = new Decimal(q.get('quantity') ?? '0');
    const clientOrderId = q.get('newClientOrderId') ?? `test${this.nextOrderId}`;
    if ([...this.orders.values()].some((o) => o.clientOrderId === clientOrderId && isResting(o))) {
      return { status: 400, body: { code: -2010, msg: 'Duplicate order sent.' } };
    }
    if (quantity.lt(s.minQty) || !quantity.mod(s.stepSize).isZero()) return { status: 400, body: { code: -1013, msg: 'Filter failure: LOT_SIZE' } };
    const price = type === 'LIMIT' ? new Decimal(q.get('price') ?? '0') : this.lastPrice(s.id);
    if (type === 'LIMIT' && (price.lte(0) || !price.mod(s.tickSize).isZero()))
      return { status: 400, body: { code: -1013, msg: 'Filter failure: PRICE_FILTER' } };
    const notional = price.mul(quantity);
    if (notional.lt(s.minNotional)) return { status: 400, body: { code: -1013, msg: 'Filter failure: NOTIONAL' } };
    const base = this.balance(s.base);
    const quote = this.balance(s.quote);
    const paying = side === 'BUY' ? quote : base;
    const needed = side === 'BUY' ? notional : quantity;
    if (paying.free.lt(needed)) return { status: 400, body: { code: -2010, msg: 'Account has insufficient balance for requested action.' } };
    const now = this.now();
    const order: StoredOrder = {
      symbol: s.id,
      orderId: this.nextOrderId++,
      clientOrderId,
      price: type === 'LIMIT' ? price : new Decimal(0),
      origQty: quantity,
      executedQty: new Decimal(0),
      cummulativeQuoteQty: new Decimal(0),
      status: 'NEW',
      timeInForce: q.get('timeInForce') ?? 'GTC',
      type,
      side,
      time: now,
      updateTime: now,
    };
    const fills: object[] = [];
    if (type === 'MARKET') {
      const fee = (side === 'BUY' ? quantity : notional).mul(this.feeRate);
      paying.free = paying.free.minus(needed);
      if (side === 'BUY') base.free = base.free.plus(quantity.minus(fee));
      else quote.free = quote.free.plus(notional.minus(fee));
      order.executedQty = quantity;
      order.cummulativeQuoteQty = notional;
      order.status = 'FILLED';
      const trade = this.recordTrade(order, price, quantity, fee, side === 'BUY' ? s.base : s.quote, false);
      fills.push({ price: fmt(price), qty: fmt(quantity), commission: fmt(fee), commissionAsset: trade.commissionAsset, tradeId: trade.id });
    } else {
      paying.free = paying.free.minus(needed);
      paying.locked = paying.locked.plus(needed);
    }
    this.orders.set(order.orderId, order);
    const json = this.orderJson(order);
    return {
      status: 200,
      body: { ...json, transactTime: now, fills, time: undefined, updateTime: undefined, isWorking: undefined, stopPrice: undefined, icebergQty: undefined },
    };
  }

  private findOrder(q: URLSearchParams): StoredOrder | undefined {
    const symbolId = q.get('symbol');
    const orderId = q.get('orderId');
    const clientOrderId = q.get('origClientOrderId');
    return [...this.orders.values()].find(
      (o) => o.symbol === symbolId && ((orderId !== null && String(o.orderId) === orderId) || (clientOrderId !== null && o.clientOrderId === clientOrderId)),
    );
  }

  private getOrder(q: URLSearchParams) {
    const order = this.findOrder(q);
    if (!order) return { status: 400, body: { code: -2013, msg: 'Order does not exist.' } };
    return { status: 200, body: this.orderJson(order) };
  }

  private cancelOrder(q: URLSearchParams) {
    const order = this.findOrder(q);
    if (!order || !isResting(order)) return { status: 400, body: { code: -2011, msg: 'Unknown order sent.' } };
    const s = this.symbol(order.symbol)!;
    const paying = this.balance(order.side === 'BUY' ? s.quote : s.base);
    const remaining = order.origQty.minus(order.executedQty);
    const locked = order.side === 'BUY' ? order.price.mul(remaining) : remaining;
    paying.locked = paying.locked.minus(locked);
    paying.free = paying.free.plus(locked);
    order.status = 'CANCELED';
    order.updateTime = this.now();
    const json = this.orderJson(order);
    // As Binance: clientOrderId is the CANCEL request's id, the order's own is origClientOrderId.
    return { status: 200, body: { ...json, origClientOrderId: order.clientOrderId, clientOrderId: `cancel${order.orderId}`, transactTime: this.now() } };
  }

  private recordTrade(order: StoredOrder, price: Decimal, qty: Decimal, commission: Decimal, commissionAsset: string, isMaker: boolean): StoredTrade {
    const trade: StoredTrade = {
      id: this.nextTradeId++,
      orderId: order.orderId,
      symbol: order.symbol,
      price,
      qty,
      commission,
      commissionAsset,
      time: this.now(),
      isBuyer: order.side === 'BUY',
      isMaker,
    };
    this.trades.push(trade);
    return trade;
  }

  /** GET /api/v3/myTrades: symbol required; orderId, fromId, startTime, endTime, limit (default 500, max 1000) as Binance. */
  private myTradesRoute(q: URLSearchParams) {
    const s = this.symbol(q.get('symbol'));
    if (!s) return { status: 400, body: { code: -1121, msg: 'Invalid symbol.' } };
    const orderId = q.get('orderId');
    const fromId = q.has('fromId') ? Number(q.get('fromId')) : undefined;
    const startTime = q.has('startTime') ? Number(q.get('startTime')) : undefined;
    const endTime = q.has('endTime') ? Number(q.get('endTime')) : undefined;
    const limit = Math.min(1000, Number(q.get('limit') ?? 500));
    const rows = this.trades
      .filter((t) => t.symbol === s.id && (orderId === null || String(t.orderId) === orderId))
      .filter(
        (t) => (fromId === undefined || t.id >= fromId) && (startTime === undefined || t.time >= startTime) && (endTime === undefined || t.time <= endTime),
      )
      .slice(0, limit);
    return {
      status: 200,
      body: rows.map((t) => ({
        symbol: t.symbol,
        id: t.id,
        orderId: t.orderId,
        orderListId: -1,
        price: fmt(t.price),
        qty: fmt(t.qty),
        quoteQty: fmt(t.price.mul(t.qty)),
        commission: fmt(t.commission),
        commissionAsset: t.commissionAsset,
        time: t.time,
        isBuyer: t.isBuyer,
        isMaker: t.isMaker,
        isBestMatch: true,
      })),
    };
  }

  private orderJson(o: StoredOrder) {
    return {
      symbol: o.symbol,
      orderId: o.orderId,
      orderListId: -1,
      clientOrderId: o.clientOrderId,
      price: fmt(o.price),
      origQty: fmt(o.origQty),
      executedQty: fmt(o.executedQty),
      cummulativeQuoteQty: fmt(o.cummulativeQuoteQty),
      status: o.status,
      timeInForce: o.timeInForce,
      type: o.type,
      side: o.side,
      stopPrice: '0.00000000',
      icebergQty: '0.00000000',
      time: o.time,
      updateTime: o.updateTime,
      isWorking: true,
      workingTime: o.time,
      origQuoteOrderQty: '0.00000000',
      selfTradePreventionMode: 'EXPIRE_MAKER',
    };
  }

  private account() {
    return {
      makerCommission: 10,
      takerCommission: 10,
      buyerCommission: 0,
      sellerCommission: 0,
      commissionRates: { maker: '0.00100000', taker: '0.00100000', buyer: '0.00000000', seller: '0.00000000' },
      canTrade: true,
      canWithdraw: true,
      canDeposit: true,
      brokered: false,
      requireSelfTradePrevention: false,
      preventSor: false,
      updateTime: this.now(),
      accountType: 'SPOT',
      balances: [...this.balances.entries()].map(([asset, b]) => ({ asset, free: fmt(b.free), locked: fmt(b.locked) })),
      permissions: ['SPOT'],
      uid: 1,
    };
  }
}
