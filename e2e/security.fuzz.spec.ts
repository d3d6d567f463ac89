import { expect, test, type APIRequestContext } from '@playwright/test';
import fc from 'fast-check';
import { bearer, createKey, newUser } from './keys-helpers';

/**
 * Fuzzing REST inputs: whatever the body or query, a route answers 2xx or 4xx with a message naming the
 * problem, never a 500 or a stack trace. Add a route by adding a row.
 */
interface FuzzRoute {
  name: string;
  method: 'POST' | 'GET' | 'DELETE';
  path: string;
  /** Where the fuzzed value goes. */
  into: 'body' | 'query' | 'path';
  auth: boolean;
}

const ROUTES: FuzzRoute[] = [
  { name: 'register', method: 'POST', path: '/api/v1/auth/register', into: 'body', auth: false },
  { name: 'token', method: 'POST', path: '/api/v1/auth/token', into: 'body', auth: false },
  { name: 'refresh', method: 'POST', path: '/api/v1/auth/refresh', into: 'body', auth: false },
  { name: 'create key', method: 'POST', path: '/api/v1/keys', into: 'body', auth: true },
  { name: 'rotate key', method: 'POST', path: '/api/v1/keys/{x}/rotate', into: 'path', auth: true },
  { name: 'get key', method: 'GET', path: '/api/v1/keys/{x}', into: 'path', auth: true },
  { name: 'audit', method: 'GET', path: '/api/v1/audit', into: 'query', auth: true },
  { name: 'create strategy', method: 'POST', path: '/api/v1/strategies', into: 'body', auth: true },
  { name: 'get strategy', method: 'GET', path: '/api/v1/strategies/{x}', into: 'path', auth: true },
  { name: 'create backtest', method: 'POST', path: '/api/v1/backtests', into: 'body', auth: true },
  { name: 'list backtests', method: 'GET', path: '/api/v1/backtests', into: 'query', auth: true },
  { name: 'create sweep', method: 'POST', path: '/api/v1/sweeps', into: 'body', auth: true },
  { name: 'create account', method: 'POST', path: '/api/v1/accounts', into: 'body', auth: true },
  { name: 'account balance', method: 'GET', path: '/api/v1/accounts/{x}/balance', into: 'path', auth: true },
  { name: 'place order', method: 'POST', path: '/api/v1/orders', into: 'body', auth: true },
  { name: 'list orders', method: 'GET', path: '/api/v1/orders', into: 'query', auth: true },
  { name: 'cancel order', method: 'DELETE', path: '/api/v1/orders/{x}', into: 'path', auth: true },
  { name: 'deploy a strategy', method: 'POST', path: '/api/v1/strategies/00000000-0000-4000-8000-000000000000/deployments', into: 'body', auth: true },
  { name: 'list deployments', method: 'GET', path: '/api/v1/deployments', into: 'query', auth: true },
  { name: 'get deployment', method: 'GET', path: '/api/v1/deployments/{x}', into: 'path', auth: true },
  { name: 'deployment equity curve', method: 'GET', path: '/api/v1/deployments/{x}/equity', into: 'path', auth: true },
  { name: 'pause deployment', method: 'POST', path: '/api/v1/deployments/{x}/pause', into: 'path', auth: true },
  { name: 'resume deployment', method: 'POST', path: '/api/v1/deployments/{x}/resume', into: 'path', auth: true },
  { name: 'stop deployment', method: 'POST', path: '/api/v1/deployments/{x}/stop', into: 'path', auth: true },
  { name: 'kill switch', method: 'POST', path: '/api/v1/kill-switch', into: 'body', auth: true },
  { name: 'release kill switch', method: 'POST', path: '/api/v1/kill-switch/release', into: 'body', auth: true },
  { name: 'list alerts', method: 'GET', path: '/api/v1/alerts', into: 'query', auth: true },
  { name: 'acknowledge alert', method: 'POST', path: '/api/v1/alerts/{x}/acknowledge', into: 'path', auth: true },
  { name: 'read candles', method: 'GET', path: '/api/v1/market-data/candles', into: 'query', auth: true },
  { name: 'import candles (admins only)', method: 'POST', path: '/api/v1/market-data/candles', into: 'body', auth: true },
];

/** Raw bodies JSON.stringify cannot produce, and values that break naive number handling. */
const NASTY_BODIES = [
  '{"name":"x","scopes":["read"],"expiresInDays":1e309}',
  '{"name":"x","scopes":["read"],"expiresInDays":-0}',
  '{"name":"x","scopes":["read"],"expiresInDays":-5}',
  '{"name":"x","scopes":["read"],"expiresInDays":"NaN"}',
  '{"name":"x","scopes":["read"],"expiresInDays":NaN}',
  '{"name":"x","scopes":["read"],"expiresInDays":"1e309"}',
  '{"name":"x","scopes":["read"],"expiresInDays":1.5}',
  '{"username":["a"],"password":{"$gt":""}}',
  '{"name":null,"scopes":"read"}',
  '{"__proto__":{"admin":true},"name":"x","scopes":["read"]}',
  `{"name":"${'x'.repeat(200_000)}","scopes":["read"]}`,
  `{"username":"${'u'.repeat(100_000)}","password":"${'p'.repeat(100_000)}"}`,
  '{"accountId":"00000000-0000-4000-8000-000000000000","symbol":"BTC/USDT","side":"buy","type":"market","quantity":"1e309"}',
  '{"accountId":"00000000-0000-4000-8000-000000000000","symbol":"BTC/USDT","side":"buy","type":"limit","quantity":"-0","price":"NaN"}',
  '{"accountId":"00000000-0000-4000-8000-000000000000","symbol":"BTC/USDT","side":"sell","type":"limit","quantity":-1,"price":1e308}',
  '{"name":"p","exchange":"paper","balances":{"USDT":"1e309"}}',
  '{"name":"p","exchange":"paper","balances":{"USDT":"-0"},"feeRate":"NaN","slippage":-0.5}',
  '{"name":"s","type":"sma_crossover","params":{"fastPeriod":1e309,"slowPeriod":"NaN"},"exchange":"binance","symbol":"BTC/USDT","timeframe":"1h"}',
  '{"strategyId":"00000000-0000-4000-8000-000000000000","start":"NaN","end":1e309,"initialCapital":-0,"feeRate":"1e309","slippage":-1}',
  '{"exchange":"binance","symbol":"BTC/USDT","timeframe":"1h","candles":[[0,"NaN",1e309,-1,null,-0]]}',
  '[]',
  'null',
  '"string"',
  '12',
  '',
  '{',
  '\u0000',
];

const jsonValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.record({ name: fc.oneof(fc.string(), fc.integer(), fc.constant(null)), scopes: fc.oneof(fc.array(fc.string()), fc.string()), expiresInDays: fc.oneof(fc.double(), fc.integer(), fc.string()) }, { requiredKeys: [] }),
  fc.record({ username: fc.oneof(fc.string(), fc.integer()), password: fc.oneof(fc.string(), fc.constant(null)) }, { requiredKeys: [] }),
  // Near-valid trading payloads, so the decimal and range checks are reached, not only the shape checks.
  fc.record(
    {
      accountId: fc.oneof(fc.uuid(), fc.string()),
      strategyId: fc.oneof(fc.uuid(), fc.string()),
      name: fc.string(),
      exchange: fc.constantFrom('paper', 'binance', 'nope', ''),
      type: fc.constantFrom('market', 'limit', 'stop_limit', 'sma_crossover', 'x'),
      side: fc.constantFrom('buy', 'sell', 'hold'),
      symbol: fc.constantFrom('BTC/USDT', 'BTCUSDT', '', '../x'),
      timeframe: fc.constantFrom('1h', '1m', '13x', ''),
      quantity: fc.oneof(fc.double(), fc.constantFrom('1e309', 'NaN', '-0', '-1', '0', '0.1', '1'.repeat(40))),
      price: fc.oneof(fc.double(), fc.constantFrom('1e309', 'NaN', '-0', '100')),
      initialCapital: fc.oneof(fc.double(), fc.constantFrom('1e309', 'NaN', '-0')),
      feeRate: fc.oneof(fc.double(), fc.string()),
      balances: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.double())),
      params: fc.dictionary(fc.constantFrom('fastPeriod', 'slowPeriod', 'x'), fc.oneof(fc.double(), fc.integer(), fc.string())),
      start: fc.oneof(fc.string(), fc.double()),
      end: fc.oneof(fc.string(), fc.double()),
    },
    { requiredKeys: [] },
  ),
);

async function send(request: APIRequestContext, route: FuzzRoute, value: string, headers: Record<string, string>) {
  const base = { headers: { ...headers, 'content-type': 'application/json' }, failOnStatusCode: false } as const;
  if (route.into === 'body') return request.fetch(route.path, { ...base, method: route.method, data: Buffer.from(value) });
  if (route.into === 'path') return request.fetch(route.path.replace('{x}', encodeURIComponent(value.slice(0, 2000))), { ...base, method: route.method });
  return request.fetch(`${route.path}?${value}`, { ...base, method: route.method });
}

async function expectClientError(response: Awaited<ReturnType<APIRequestContext['fetch']>>, what: string) {
  const status = response.status();
  expect(status, `${what}: never a 500`).toBeLessThan(500);
  const text = await response.text();
  expect(text, `${what}: never a stack trace`).not.toMatch(/at .*\.(js|ts):\d+/);
  if (status >= 400) {
    const body = JSON.parse(text);
    expect(typeof body.error?.message === 'string' && body.error.message.length > 0, `${what}: a message says what is wrong`).toBe(true);
  }
}

test('fuzzed REST inputs get 2xx or 4xx with a message, never 500', async ({ request }) => {
  test.setTimeout(480_000);
  const user = await newUser(request, 'fuzz');
  const key = await createKey(request, user, ['trade']);
  for (const route of ROUTES) {
    const headers = route.auth ? bearer(key.key) : {};
    if (route.into === 'body') {
      for (const body of NASTY_BODIES) await expectClientError(await send(request, route, body, headers), `${route.name} ${body.slice(0, 40)}`);
    }
    const arbitrary =
      route.into === 'body'
        ? jsonValue.map((v) => JSON.stringify(v) ?? 'null')
        : route.into === 'query'
          ? fc.dictionary(fc.constantFrom('allUsers', 'category', 'before', 'limit', 'x', 'exchange', 'symbol', 'timeframe', 'start', 'end', 'cursor', 'strategyId', 'accountId', 'status'), fc.oneof(fc.string(), fc.constantFrom('1e309', 'NaN', '-0', '-1', 'true', '99999999999999999999'))).map((d) => new URLSearchParams(d).toString())
          : fc.oneof(
              // Non-empty and not a dot segment, so the URL still addresses this route.
              fc.string({ minLength: 1 }).filter((s) => s !== '.' && s !== '..'),
              fc.uuid(),
              fc.constantFrom('1e309', 'NaN', '-0', '%00', 'current', 'revoke-all'),
            );
    await fc.assert(
      fc.asyncProperty(arbitrary, async (value) => {
        await expectClientError(await send(request, route, value, headers), `${route.name} ${value.slice(0, 60)}`);
      }),
      { numRuns: 25, seed: 6 },
    );
  }
});
