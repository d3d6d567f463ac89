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
  test.setTimeout(240_000);
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
          ? fc.dictionary(fc.constantFrom('allUsers', 'category', 'before', 'limit', 'x'), fc.oneof(fc.string(), fc.constantFrom('1e309', 'NaN', '-0', '-1', 'true', '99999999999999999999'))).map((d) => new URLSearchParams(d).toString())
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
