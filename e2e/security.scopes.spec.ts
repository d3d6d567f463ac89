import { expect, test, type APIRequestContext } from './contract';
import { adminCaller, bearer, createKey, newUser, type Caller } from './keys-helpers';

/**
 * The scope matrix: each kind of credential against representative routes. Add a route by adding a row:
 * `kind` says which scope it needs (read: GET; trade: any write; admin: admin-only).
 */
interface RouteCase {
  name: string;
  kind: 'read' | 'trade' | 'admin';
  call: (request: APIRequestContext, credential: string) => Promise<number>;
}

const STRATEGY = { name: 'from matrix', type: 'sma_crossover', exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' };

const ROUTES: RouteCase[] = [
  { name: 'GET /api/v1/me', kind: 'read', call: async (r, c) => (await r.get('/api/v1/me', { headers: bearer(c) })).status() },
  { name: 'GET /api/v1/keys', kind: 'read', call: async (r, c) => (await r.get('/api/v1/keys', { headers: bearer(c) })).status() },
  { name: 'GET /api/v1/audit', kind: 'read', call: async (r, c) => (await r.get('/api/v1/audit', { headers: bearer(c) })).status() },
  { name: 'tRPC query keys.list', kind: 'read', call: async (r, c) => (await r.get('/api/trpc/keys.list', { headers: bearer(c) })).status() },
  // Key management has its own rule (a session, an access token or an admin key): e2e/security.key-scopes.spec.ts.
  {
    name: 'POST /api/v1/strategies',
    kind: 'trade',
    call: async (r, c) => (await r.post('/api/v1/strategies', { headers: bearer(c), data: STRATEGY })).status(),
  },
  {
    name: 'tRPC mutation strategies.create',
    kind: 'trade',
    call: async (r, c) => (await r.post('/api/trpc/strategies.create', { headers: bearer(c), data: { json: STRATEGY } })).status(),
  },
  { name: 'GET /api/v1/audit/all (admin-only)', kind: 'admin', call: async (r, c) => (await r.get('/api/v1/audit/all', { headers: bearer(c) })).status() },
  {
    name: 'tRPC audit.list allUsers (admin-only)',
    kind: 'admin',
    call: async (r, c) =>
      (await r.get(`/api/trpc/audit.list?input=${encodeURIComponent(JSON.stringify({ json: { allUsers: true } }))}`, { headers: bearer(c) })).status(),
  },
];

const OK = { read: [200], trade: [200, 201], admin: [200] };

test('scope matrix: read keys only read, trade keys write, admin needs the admin scope and an admin account', async ({ request }) => {
  const user = await newUser(request, 'scopes');
  const admin = await adminCaller(request);
  const credentials: Array<{ label: string; caller: Caller; credential: () => Promise<string>; grants: Array<'read' | 'trade' | 'admin'> }> = [
    { label: 'user read key', caller: user, credential: async () => (await createKey(request, user, ['read'])).key, grants: ['read'] },
    { label: 'user trade key', caller: user, credential: async () => (await createKey(request, user, ['trade'])).key, grants: ['read', 'trade'] },
    { label: 'user access token', caller: user, credential: async () => user.accessToken, grants: ['read', 'trade'] },
    { label: 'admin read key', caller: admin, credential: async () => (await createKey(request, admin, ['read'])).key, grants: ['read'] },
    { label: 'admin trade key', caller: admin, credential: async () => (await createKey(request, admin, ['trade'])).key, grants: ['read', 'trade'] },
    { label: 'admin admin key', caller: admin, credential: async () => (await createKey(request, admin, ['admin'])).key, grants: ['read', 'trade', 'admin'] },
    { label: 'admin access token', caller: admin, credential: async () => admin.accessToken, grants: ['read', 'trade', 'admin'] },
  ];
  for (const c of credentials) {
    const credential = await c.credential();
    for (const route of ROUTES) {
      const status = await route.call(request, credential);
      const allowed = c.grants.includes(route.kind);
      if (allowed) expect(OK[route.kind], `${c.label} → ${route.name} is allowed (got ${status})`).toContain(status);
      else expect(status, `${c.label} → ${route.name} is refused with 403`).toBe(403);
    }
  }
});

test('a refused scope says which scope is missing', async ({ request }) => {
  const user = await newUser(request, 'scopemsg');
  const key = await createKey(request, user, ['read']);
  const response = await request.post('/api/v1/strategies', { headers: bearer(key.key), data: STRATEGY });
  expect(response.status()).toBe(403);
  expect((await response.json()).error.message).toMatch(/"trade" scope/);
});
