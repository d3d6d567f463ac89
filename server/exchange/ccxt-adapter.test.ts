import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { OhlcvRow } from '@/server/core/candles';
import { clearMarketCache, createCcxtExchange, type CcxtExchangeOptions } from './ccxt-adapter';
import { ExchangeError } from './errors';
import { fixtureRows } from '@/server/testing/fixtures';
import { BinanceTestServer, binanceApiUrls, faults } from '@/server/testing/exchange/binance-test-server';

const BTC_1H = fixtureRows('btc-usd-1h');
const H = 3_600_000;
let server: BinanceTestServer;
const noSleep = { now: () => Date.now(), sleep: async () => {} };
const sleeps: number[] = [];
const recordingClock = { now: () => Date.now(), sleep: async (ms: number) => void sleeps.push(ms) };

function exchange(overrides: Partial<CcxtExchangeOptions> = {}) {
  return createCcxtExchange({
    exchangeId: 'binance',
    credentials: { apiKey: server.apiKey, secret: server.secret },
    timeoutMs: 1000,
    rateLimit: { perSecond: 1000, perMinute: 100_000 },
    urls: binanceApiUrls(server.baseUrl),
    retry: { attempts: 3, baseDelayMs: 100, maxDelayMs: 5000 },
    clock: recordingClock,
    ...overrides,
  });
}

async function kindOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'no error';
  } catch (error) {
    expect(error, 'every failure surfaces as our ExchangeError').toBeInstanceOf(ExchangeError);
    return (error as ExchangeError).kind;
  }
}

beforeAll(async () => {
  server = await new BinanceTestServer({ klines: { BTCUSDT: { '1h': BTC_1H } }, balances: { USDT: '10000', BTC: '1' } }).start();
});
afterAll(() => server.close());
beforeEach(() => {
  clearMarketCache();
  sleeps.length = 0;
});

describe('ccxt adapter over the real ccxt binance class and the local Binance server', () => {
  it('loads markets with realistic filters from exchangeInfo only (no sapi / futures calls), cached and shared', async () => {
    server.requests.length = 0;
    const markets = await exchange().loadMarkets();
    expect(markets['BTC/USDT'], 'filters → precision and limits').toMatchObject({
      id: 'BTCUSDT',
      base: 'BTC',
      quote: 'USDT',
      priceTick: '0.01',
      amountStep: '0.00001',
      minAmount: '0.00001',
      minCost: '5',
    });
    expect(
      server.requests.map((r) => r.path),
      'loadMarkets hit only exchangeInfo',
    ).toEqual(['/api/v3/exchangeInfo']);
    await exchange().loadMarkets();
    await exchange().fetchTicker('BTC/USDT');
    expect(server.count('GET', '/api/v3/exchangeInfo'), 'a second instance reuses the shared cache').toBe(1);
  });

  it('ticker and order book are decimal strings', async () => {
    const ticker = await exchange().fetchTicker('BTC/USDT');
    expect(ticker.last, 'last close of the served data (2019-10-17 09:00)').toBe('8035.88');
    const book = await exchange().fetchOrderBook('BTC/USDT', 5);
    expect(book.bids.length, 'depth honoured').toBe(5);
    expect(book.bids[0], 'best bid one tick under last').toEqual(['8035.87', '0.1']);
  });

  it('fetchOhlcvHistory pages by the limit through real ccxt, resumes, stops at untilMs and at the end of data', async () => {
    const ex = exchange();
    const since = BTC_1H[0]![0];
    const until = BTC_1H[2500]![0];
    server.requests.length = 0;
    const progress: number[] = [];
    const pages: OhlcvRow[][] = [];
    for await (const page of ex.fetchOhlcvHistory('BTC/USDT', '1h', since, until, { pageLimit: 1000, onProgress: (p) => progress.push(p.fetched) }))
      pages.push(page);
    const rows = pages.flat();
    expect(
      pages.map((p) => p.length),
      'three pages of at most 1000',
    ).toEqual([1000, 1000, 500]);
    expect(rows, 'exactly the stored candles in [since, until)').toEqual(BTC_1H.slice(0, 2500));
    expect(server.count('GET', '/api/v3/klines'), 'one request per page, none wasted').toBe(3);
    expect(progress, 'progress after each page').toEqual([1000, 2000, 2500]);

    const resumed: OhlcvRow[] = [];
    for await (const page of ex.fetchOhlcvHistory('BTC/USDT', '1h', rows.at(-1)![0] + H, Number.MAX_SAFE_INTEGER)) resumed.push(...page);
    expect(resumed, 'resuming from the last stored time + 1h yields the rest, then stops at no-more-data').toEqual(BTC_1H.slice(2500));
  });

  it('createOrder → fetchOrder → cancelOrder round-trip carries our clientOrderId; amounts rounded to the step', async () => {
    const ex = exchange();
    const created = await ex.createOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'limit', amount: '0.0123456', price: '20000.004', clientOrderId: 'cb-rt-1' });
    expect(created, 'rounded to stepSize 0.00001 and tickSize 0.01, open').toMatchObject({
      clientOrderId: 'cb-rt-1',
      amount: '0.01234',
      price: '20000',
      status: 'open',
    });
    const sent = server.requests.filter((r) => r.method === 'POST').at(-1)!;
    expect(sent.query.get('newClientOrderId'), 'clientOrderId sent as Binance newClientOrderId').toBe('cb-rt-1');
    const byClientId = await ex.fetchOrder({ clientOrderId: 'cb-rt-1' }, 'BTC/USDT');
    expect(byClientId.id, 'found by clientOrderId').toBe(created.id);
    expect(
      (await ex.fetchOpenOrders('BTC/USDT')).map((o) => o.clientOrderId),
      'listed as open',
    ).toContain('cb-rt-1');
    const canceled = await ex.cancelOrder({ id: created.id }, 'BTC/USDT');
    expect(canceled, 'canceled, still under OUR clientOrderId').toMatchObject({ status: 'canceled', clientOrderId: 'cb-rt-1' });
    expect(await kindOf(ex.cancelOrder({ id: created.id }, 'BTC/USDT')), 'cancelling again: the order is gone').toBe('not_found');
  });

  it('market order fills and moves the balance', async () => {
    const ex = exchange();
    const before = await ex.fetchBalance();
    const order = await ex.createOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', amount: '0.01', clientOrderId: 'cb-mkt-1' });
    expect(order.status, 'market order filled').toBe('closed');
    const after = await ex.fetchBalance();
    expect(Number(after.USDT!.free), 'paid 0.01 × last price').toBeCloseTo(Number(before.USDT!.free) - 80.3588, 6);
  });

  it('refuses before sending: below minimum amount / cost, bad decimals, unknown symbol', async () => {
    const ex = exchange();
    const posts = server.count('POST', '/api/v3/order');
    expect(
      await kindOf(ex.createOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'limit', amount: '0.000001', price: '20000', clientOrderId: 'x1' })),
      'rounds to 0',
    ).toBe('rejected');
    await expect(
      ex.createOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'limit', amount: '0.0001', price: '20000', clientOrderId: 'x2' }),
      'cost 2 USDT < 5',
    ).rejects.toThrow(/below the minimum 5/);
    expect(
      await kindOf(ex.createOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'limit', amount: '-1', price: '20000', clientOrderId: 'x3' })),
      'negative',
    ).toBe('rejected');
    expect(await kindOf(ex.createOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'limit', amount: 'NaN', price: '20000', clientOrderId: 'x4' })), 'NaN').toBe(
      'rejected',
    );
    expect(await kindOf(ex.createOrder({ symbol: 'DOGE/USDT', side: 'buy', type: 'market', amount: '1', clientOrderId: 'x5' })), 'unknown symbol').toBe(
      'rejected',
    );
    expect(server.count('POST', '/api/v3/order'), 'none of these reached the exchange').toBe(posts);
  });

  it('maps each injected fault to its kind', async () => {
    const ex = exchange({ retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } });
    await ex.loadMarkets();
    const order = { symbol: 'BTC/USDT', side: 'buy' as const, type: 'limit' as const, amount: '0.001', price: '20000', clientOrderId: 'cb-f' };
    const cases: [string, Parameters<BinanceTestServer['failNext']>[0], ReturnType<(typeof faults)[keyof typeof faults]>, () => Promise<unknown>, string][] = [
      ['429 on a read', { path: '/api/v3/ticker/24hr' }, faults.rateLimited(1), () => ex.fetchTicker('BTC/USDT'), 'retryable'],
      ['418 on a read', { path: '/api/v3/ticker/24hr' }, faults.ipBanned(), () => ex.fetchTicker('BTC/USDT'), 'retryable'],
      ['503 on a read', { path: '/api/v3/depth' }, faults.serverError(503), () => ex.fetchOrderBook('BTC/USDT'), 'retryable'],
      [
        '500 on create',
        { path: '/api/v3/order', method: 'POST' },
        faults.serverError(500),
        () => ex.createOrder({ ...order, clientOrderId: 'cb-f1' }),
        'ambiguous',
      ],
      ['503 on cancel', { path: '/api/v3/order', method: 'DELETE' }, faults.serverError(503), () => ex.cancelOrder({ id: '1' }, 'BTC/USDT'), 'ambiguous'],
      [
        '-2010 insufficient balance',
        { path: '/api/v3/order', method: 'POST' },
        faults.insufficientBalance(),
        () => ex.createOrder({ ...order, clientOrderId: 'cb-f2' }),
        'rejected',
      ],
      ['-1021 recvWindow', { path: '/api/v3/account' }, faults.timestampOutsideRecvWindow(), () => ex.fetchBalance(), 'retryable'],
      ['-2013 on fetchOrder', { path: '/api/v3/order', method: 'GET' }, faults.orderNotFound(), () => ex.fetchOrder({ id: '999' }, 'BTC/USDT'), 'not_found'],
      [
        '429 on create',
        { path: '/api/v3/order', method: 'POST' },
        faults.rateLimited(1),
        () => ex.createOrder({ ...order, clientOrderId: 'cb-f3' }),
        'retryable',
      ],
    ];
    for (const [name, match, fault, call, kind] of cases) {
      server.failNext(match, fault);
      expect(await kindOf(call()), name).toBe(kind);
    }
    expect(await kindOf(ex.createOrder({ ...order, amount: '1000', clientOrderId: 'cb-f4' })), 'real insufficient balance from the server').toBe('rejected');
  });

  it('reads are retried with exponential backoff and Retry-After, a bounded number of times', async () => {
    const ex = exchange({ retry: { attempts: 4, baseDelayMs: 100, maxDelayMs: 5000 } });
    await ex.loadMarkets();
    const before = server.count('GET', '/api/v3/depth');
    server.failNext({ path: '/api/v3/depth', times: 2 }, faults.serverError(502));
    const book = await ex.fetchOrderBook('BTC/USDT', 5);
    expect(book.asks.length, 'third attempt succeeds').toBe(5);
    expect(server.count('GET', '/api/v3/depth') - before, 'server saw 3 requests').toBe(3);
    expect(sleeps, 'backoff doubles').toEqual([100, 200]);

    sleeps.length = 0;
    server.failNext({ path: '/api/v3/ticker/24hr', times: 1 }, faults.rateLimited(3));
    await ex.fetchTicker('BTC/USDT');
    expect(sleeps, "the server's Retry-After (3 s) wins over the 100 ms backoff").toEqual([3000]);

    const tickerBefore = server.count('GET', '/api/v3/ticker/24hr');
    server.failNext({ path: '/api/v3/ticker/24hr', times: 10 }, faults.serverError(503));
    expect(await kindOf(ex.fetchTicker('BTC/USDT')), 'gives up after the attempts').toBe('retryable');
    expect(server.count('GET', '/api/v3/ticker/24hr') - tickerBefore, 'exactly 4 attempts').toBe(4);
    server.clearFaults();

    sleeps.length = 0;
    server.failNext({ path: '/api/v3/ticker/24hr', times: 1 }, faults.ipBanned(120));
    expect(await kindOf(ex.fetchTicker('BTC/USDT')), 'a 418 ban longer than maxDelay is not waited out').toBe('retryable');
    expect(sleeps, 'no sleep for a ban').toEqual([]);
  });

  it('createOrder is sent once: a timeout after the exchange accepted it is ambiguous, and reconciliation finds it', async () => {
    const ex = exchange({ timeoutMs: 300, retry: { attempts: 5, baseDelayMs: 1, maxDelayMs: 1 }, clock: noSleep });
    await ex.loadMarkets();
    const posts = server.count('POST', '/api/v3/order');
    server.failNext({ method: 'POST', path: '/api/v3/order' }, faults.timeoutAfterAccept());
    expect(
      await kindOf(ex.createOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'limit', amount: '0.001', price: '20000', clientOrderId: 'cb-amb-1' })),
      'lost response → ambiguous',
    ).toBe('ambiguous');
    expect(server.count('POST', '/api/v3/order') - posts, 'never resent').toBe(1);
    const found = await ex.fetchOrder({ clientOrderId: 'cb-amb-1' }, 'BTC/USDT');
    expect(found.status, 'the order did land; fetch by clientOrderId settles it').toBe('open');

    server.failNext({ method: 'POST', path: '/api/v3/order' }, faults.serverError(502));
    await kindOf(ex.createOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'limit', amount: '0.001', price: '20000', clientOrderId: 'cb-amb-2' }));
    expect(server.count('POST', '/api/v3/order') - posts, 'a 5xx on create is not retried either').toBe(2);
  });

  it('the signature is checked: a wrong secret is fatal, and no secret leaks into the error', async () => {
    const wrongSecret = 'WRONG-secret-zzzzzzzzzzzz';
    const ex = exchange({ credentials: { apiKey: server.apiKey, secret: wrongSecret } });
    const error = await ex.fetchBalance().catch((e: unknown) => e as ExchangeError);
    expect(error.kind, 'bad signature (-1022) → fatal').toBe('fatal');
    expect(error.message, 'Binance message kept').toMatch(/Signature for this request is not valid/);
    const unknownKey = await exchange({ credentials: { apiKey: 'unknown-key-123456', secret: server.secret } })
      .fetchBalance()
      .catch((e: unknown) => e as ExchangeError);
    expect(unknownKey.kind, 'unknown api key (-2015) → fatal').toBe('fatal');
    for (const e of [error, unknownKey]) {
      expect(e.message, 'no secret, no api key, no signature in the message').not.toMatch(
        new RegExp(`${wrongSecret}|${server.secret}|unknown-key-123456|signature=[0-9a-f]{8}`),
      );
    }
    const ok = await exchange().fetchBalance();
    expect(ok.USDT, 'the right secret passes the same check').toBeDefined();
  });

  it('the process-wide limiter is in the path: with 2 requests/second, the third waits', async () => {
    const ex = exchange({ rateLimit: { perSecond: 2, perMinute: 1000 }, accountId: 'limited' });
    await ex.loadMarkets();
    sleeps.length = 0;
    await ex.fetchTicker('BTC/USDT');
    await ex.fetchTicker('BTC/USDT');
    expect(sleeps.length, 'the recording clock saw the limiter wait').toBeGreaterThan(0);
  });
});
