import { expect, test, type APIRequestContext } from './contract';
import fc from 'fast-check';
import { adminCaller, bearer, createKey, newUser } from './keys-helpers';

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
  fc.record(
    {
      name: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
      scopes: fc.oneof(fc.array(fc.string()), fc.string()),
      expiresInDays: fc.oneof(fc.double(), fc.integer(), fc.string()),
    },
    { requiredKeys: [] },
  ),
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
          ? fc
              .dictionary(
                fc.constantFrom(
                  'allUsers',
                  'category',
                  'before',
                  'limit',
                  'x',
                  'exchange',
                  'symbol',
                  'timeframe',
                  'start',
                  'end',
                  'cursor',
                  'strategyId',
                  'accountId',
                  'status',
                ),
                fc.oneof(fc.string(), fc.constantFrom('1e309', 'NaN', '-0', '-1', 'true', '99999999999999999999')),
              )
              .map((d) => new URLSearchParams(d).toString())
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

// ---- Bad text: control characters and unpaired surrogates in every text field -------------------------

/**
 * Text PostgreSQL cannot store, or that no field means: NUL, lone surrogates (valid JSON as "\ud800"),
 * other C0 and C1 controls, DEL. Each goes into every text field of every route and procedure below and
 * must come back 422 naming that field (server/core/text.ts), never a 500.
 */
const BAD_TEXT: [string, RegExp][] = [
  ['\u0000', /control character/],
  ['\ud800', /unpaired surrogate/],
  ['\udc00', /unpaired surrogate/],
  ['\u0001', /control character/],
  ['\u001b', /control character/],
  ['\u007f', /control character/],
  ['\u0085', /control character/],
  ['\u009f', /control character/],
];
/** Tab and newlines: refused in single-line fields only. */
const LINE_BREAKS: [string, RegExp][] = [
  ['\t', /control character/],
  ['\n', /control character/],
  ['\r', /control character/],
];

const SOME_ID = '00000000-0000-4000-8000-000000000000';
const KEY = '{key}';

interface TextRoute {
  method: 'POST' | 'PATCH' | 'GET';
  path: string;
  /** Dotted paths of the text fields ("params.{key}" is a key of the params object; "candles.0.1" an array item). */
  fields: string[];
  /** Fields where tab and newlines are allowed. */
  multiline?: string[];
  into?: 'body' | 'query' | 'trpc';
  admin?: boolean;
}

const TEXT_ROUTES: TextRoute[] = [
  { method: 'POST', path: '/api/v1/auth/register', fields: ['username', 'password', 'inviteCode'] },
  { method: 'POST', path: '/api/v1/invites', fields: ['note'], admin: true },
  { method: 'POST', path: '/api/v1/auth/token', fields: ['username', 'password'] },
  { method: 'POST', path: '/api/v1/auth/refresh', fields: ['refreshToken'] },
  { method: 'POST', path: '/api/v1/keys', fields: ['name'] },
  { method: 'POST', path: '/api/v1/keys/revoke-all', fields: ['reason'], multiline: ['reason'] },
  { method: 'POST', path: '/api/v1/kill-switch', fields: ['reason'], multiline: ['reason'] },
  { method: 'POST', path: '/api/v1/strategies', fields: ['name', 'type', 'exchange', 'symbol', 'timeframe', 'params.{key}', 'params.fastPeriod'] },
  { method: 'PATCH', path: `/api/v1/strategies/${SOME_ID}`, fields: ['name', 'exchange', 'symbol', 'timeframe', 'params.{key}', 'params.fastPeriod'] },
  { method: 'POST', path: `/api/v1/strategies/${SOME_ID}/clone`, fields: ['name'] },
  {
    method: 'POST',
    path: `/api/v1/strategies/${SOME_ID}/deployments`,
    fields: [
      'accountId',
      'feed.start',
      'maxPositionQuote',
      'capitalQuote',
      'riskLimits.maxOrderNotional',
      'riskLimits.dailyLossLimitQuote',
      'riskLimits.maxDrawdownFraction',
      'confirm.accountName',
      'confirm.maxPositionQuote',
    ],
  },
  // (initialCapital, feeRate and slippage take a number or a decimal string: bad text there is a 422 naming
  // the field with "must be a number …", which the fuzz test above covers.)
  { method: 'POST', path: '/api/v1/backtests', fields: ['start', 'end', 'params.{key}', 'params.fastPeriod'] },
  { method: 'POST', path: '/api/v1/sweeps', fields: ['start', 'end', 'ranges.{key}', 'ranges.fastPeriod.values.0'] },
  {
    method: 'POST',
    path: '/api/v1/accounts',
    fields: ['name', 'exchange', 'balances.{key}', 'balances.USDT', 'feeRate', 'slippage', 'credentials.apiKey', 'credentials.secret', 'credentials.password'],
    multiline: ['credentials.secret'],
  },
  {
    method: 'PATCH',
    path: `/api/v1/accounts/${SOME_ID}`,
    fields: ['name', 'feeRate', 'slippage', 'credentials.apiKey', 'credentials.secret'],
    multiline: ['credentials.secret'],
  },
  { method: 'POST', path: '/api/v1/orders', fields: ['accountId', 'symbol', 'quantity', 'price', 'stopPrice', 'clientOrderId'] },
  { method: 'POST', path: '/api/v1/market-data/candles', fields: ['exchange', 'symbol', 'timeframe', 'candles.0.1'], admin: true },
  {
    method: 'POST',
    path: '/api/v1/market-data/files',
    fields: ['exchange', 'symbol', 'timeframe', 'fileName', 'content'],
    multiline: ['content'],
    admin: true,
  },
  { method: 'POST', path: '/api/v1/market-data/imports', fields: ['exchange', 'symbol', 'timeframe', 'start', 'end'], admin: true },
  { method: 'GET', path: '/api/v1/orders', fields: ['accountId', 'deploymentId', 'status'], into: 'query' },
  { method: 'GET', path: '/api/v1/deployments', fields: ['strategyId', 'accountId', 'state'], into: 'query' },
  { method: 'GET', path: '/api/v1/backtests', fields: ['strategyId'], into: 'query' },
  { method: 'GET', path: '/api/v1/sweeps', fields: ['strategyId'], into: 'query' },
  { method: 'GET', path: '/api/v1/strategies', fields: ['includeArchived'], into: 'query' },
  { method: 'GET', path: '/api/v1/audit', fields: ['category', 'before'], into: 'query' },
  { method: 'GET', path: '/api/v1/alerts', fields: ['unacknowledged', 'limit'], into: 'query' },
  { method: 'GET', path: '/api/v1/market-data/candles', fields: ['exchange', 'symbol', 'timeframe', 'start', 'end', 'cursor'], into: 'query' },
  { method: 'GET', path: '/api/v1/market-data/coverage', fields: ['exchange', 'symbol', 'timeframe'], into: 'query' },
  { method: 'GET', path: '/api/v1/portfolio', fields: ['currency', 'deploymentId'], into: 'query' },
  { method: 'GET', path: '/api/v1/portfolio/equity', fields: ['accountId', 'from', 'to', 'currency'], into: 'query' },
  // tRPC (superjson: {"json": input}); the same schemas, so a sample of procedures and transports.
  { method: 'POST', path: '/api/trpc/auth.register', fields: ['username', 'password'], into: 'trpc' },
  { method: 'POST', path: '/api/trpc/keys.create', fields: ['name'], into: 'trpc' },
  { method: 'POST', path: '/api/trpc/orders.place', fields: ['accountId', 'symbol', 'quantity', 'clientOrderId'], into: 'trpc' },
  { method: 'POST', path: '/api/trpc/strategies.create', fields: ['name', 'params.{key}'], into: 'trpc' },
  { method: 'POST', path: '/api/trpc/killSwitch.engage', fields: ['reason'], multiline: ['reason'], into: 'trpc' },
  { method: 'POST', path: '/api/trpc/invites.create', fields: ['note'], into: 'trpc', admin: true },
  { method: 'GET', path: '/api/trpc/marketData.candles', fields: ['exchange', 'symbol', 'timeframe', 'cursor'], into: 'trpc' },
  { method: 'GET', path: '/api/trpc/portfolio.equityCurve', fields: ['accountId', 'from'], into: 'trpc' },
];

/** Paths with a path parameter: the parameter gets the bad text. */
const PATH_PARAM_ROUTES: { method: 'GET' | 'POST' | 'DELETE'; path: string }[] = [
  { method: 'GET', path: '/api/v1/keys/{x}' },
  { method: 'POST', path: '/api/v1/keys/{x}/rotate' },
  { method: 'DELETE', path: '/api/v1/keys/{x}' },
  { method: 'DELETE', path: '/api/v1/invites/{x}' },
  { method: 'GET', path: '/api/v1/accounts/{x}' },
  { method: 'GET', path: '/api/v1/accounts/{x}/balance' },
  { method: 'POST', path: '/api/v1/accounts/{x}/test' },
  { method: 'GET', path: '/api/v1/orders/{x}' },
  { method: 'DELETE', path: '/api/v1/orders/{x}' },
  { method: 'GET', path: '/api/v1/deployments/{x}' },
  { method: 'GET', path: '/api/v1/deployments/{x}/equity' },
  { method: 'POST', path: '/api/v1/deployments/{x}/pause' },
  { method: 'POST', path: '/api/v1/deployments/{x}/resume' },
  { method: 'POST', path: '/api/v1/deployments/{x}/stop' },
  { method: 'POST', path: '/api/v1/alerts/{x}/acknowledge' },
  { method: 'GET', path: '/api/v1/strategies/{x}' },
  { method: 'GET', path: '/api/v1/strategies/{x}/deployments' },
  { method: 'GET', path: '/api/v1/backtests/{x}' },
  { method: 'GET', path: '/api/v1/backtests/{x}/chart' },
  { method: 'GET', path: '/api/v1/backtests/{x}/equity' },
  { method: 'GET', path: '/api/v1/sweeps/{x}' },
  { method: 'GET', path: '/api/v1/market-data/imports/{x}' },
  { method: 'DELETE', path: '/api/v1/market-data/imports/{x}' },
];

/** An input with `value` at the dotted `field` ("{key}" puts it in a key), nothing else. */
function inputWith(field: string, value: string): Record<string, unknown> {
  const parts = field.split('.');
  const leaf = parts.pop()!;
  const root: Record<string, unknown> = {};
  let at: Record<string, unknown> | unknown[] = root;
  parts.forEach((part, i) => {
    const next: Record<string, unknown> | unknown[] = /^\d+$/.test(parts[i + 1] ?? leaf) ? [] : {};
    (at as Record<string, unknown>)[part] = next;
    at = next;
  });
  if (leaf === KEY) (at as Record<string, unknown>)[`x${value}x`] = 1;
  else (at as Record<string, unknown>)[leaf] = `x${value}x`;
  return root;
}

/** The field a 422 names: the dotted path, or for a bad key the object holding it. */
const expectedField = (field: string) => (field.endsWith(`.${KEY}`) ? field.slice(0, -KEY.length - 1) : field);

async function sendText(request: APIRequestContext, route: TextRoute, field: string, value: string, headers: Record<string, string>) {
  const input = inputWith(field, value);
  const options = { headers: { ...headers, 'content-type': 'application/json' }, failOnStatusCode: false } as const;
  if (route.into === 'query') return request.fetch(`${route.path}?${field}=${encodeURIComponent(`x${value}x`)}`, { ...options, method: route.method });
  if (route.into === 'trpc' && route.method === 'GET')
    return request.fetch(`${route.path}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`, { ...options, method: 'GET' });
  // JSON.stringify writes lone surrogates as \ud800 escapes: valid JSON that parses back to the lone surrogate.
  const body = route.into === 'trpc' ? { json: input } : input;
  return request.fetch(route.path, { ...options, method: route.method, data: Buffer.from(JSON.stringify(body)) });
}

async function fieldsOf(response: Awaited<ReturnType<APIRequestContext['fetch']>>, trpc: boolean): Promise<{ field: string; message: string }[]> {
  type Fields = { field: string; message: string }[];
  const body = (await response.json()) as { error?: { json?: { data?: { fields?: Fields } }; details?: { fields?: Fields } } };
  return (trpc ? body.error?.json?.data?.fields : body.error?.details?.fields) ?? [];
}

test('bad text in any text field of any route or procedure is a 422 naming the field, never a 500', async ({ request }) => {
  test.setTimeout(300_000);
  const user = await newUser(request, 'badtext');
  const admin = await adminCaller(request);
  for (const route of TEXT_ROUTES) {
    const headers = bearer(route.admin ? admin.accessToken : user.accessToken);
    for (const field of route.fields) {
      const multiline = route.multiline?.includes(field);
      // A query string cannot carry a lone surrogate: URL encoding turns it into U+FFFD first.
      const values = [...BAD_TEXT, ...(multiline ? [] : LINE_BREAKS)].filter(([v]) => route.into !== 'query' || !/[\ud800-\udfff]/.test(v));
      for (const [value, reason] of values) {
        const what = `${route.method} ${route.path} ${field} = ${JSON.stringify(value)}`;
        const response = await sendText(request, route, field, value, headers);
        // tRPC answers input validation as BAD_REQUEST (400) with data.appCode UNPROCESSABLE and the same fields.
        expect(response.status(), `${what}: 422 (${await response.text()})`).toBe(route.into === 'trpc' ? 400 : 422);
        const fields = await fieldsOf(response, route.into === 'trpc');
        expect(
          fields.some((f) => f.field === expectedField(field) && reason.test(f.message)),
          `${what}: names the field and the reason, got ${JSON.stringify(fields)}`,
        ).toBe(true);
      }
    }
  }
});

test('bad text in a path parameter is a 422 naming it, never a 500', async ({ request }) => {
  const user = await newUser(request, 'badpath');
  // Percent-encoded NUL, C0/C1 controls and DEL decode to themselves. (A path that is not UTF-8 at all,
  // e.g. %ED%A0%80 or %FF, is answered 500 by Next.js before any route code runs: see docs/security.md.)
  const encoded = ['%00', '%01', '%1B', '%7F', '%C2%85', '%C2%9F', 'a%0Ab', '%09'];
  for (const route of PATH_PARAM_ROUTES) {
    for (const value of encoded) {
      const response = await request.fetch(route.path.replace('{x}', value), {
        method: route.method,
        headers: bearer(user.accessToken),
        failOnStatusCode: false,
      });
      await expectClientError(response, `${route.method} ${route.path} with ${value}`);
      expect(response.status(), `${route.method} ${route.path} with ${value}: 422`).toBe(422);
      expect(
        (await fieldsOf(response, false)).map((f) => f.field),
        'names the parameter',
      ).toContain('id');
    }
  }
});

test('the sign-in form refuses bad text naming the field, and never leaks a database error', async ({ request }) => {
  for (const [field, value] of [
    ['username', 'alice\u0000'],
    ['username', 'alice\u0085'],
    ['password', 'pass\u0000word'],
    ['password', 'pass\u001bword'],
  ] as const) {
    const { csrfToken } = await (await request.get('/api/auth/csrf')).json();
    const form = { username: 'alice', password: 'some password', [field]: value, csrfToken, json: 'true' };
    const response = await request.post('/api/auth/callback/credentials', { form, failOnStatusCode: false });
    expect(response.status(), `${field} ${JSON.stringify(value)}: refused, not a 500`).toBe(401);
    const { url } = await response.json();
    expect(new URL(url).searchParams.get('error'), 'the form is told which field').toBe(`InvalidText:${field}`);
  }
});
