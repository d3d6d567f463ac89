import { expect, test, type APIRequestContext } from './contract';
import { seedBtcCandles } from './helpers';
import { bearer, createKey, newUser, type Caller } from './keys-helpers';

/**
 * Isolation, table-driven: user A owns a resource; user B, with valid credentials of their own, must get
 * 404 on every route that addresses A's resource by id, and B's lists must never include A's rows.
 * To cover a new resource, add an entry: how A creates one (returns its id), the by-id routes, the list.
 */
interface Resource {
  name: string;
  create: (request: APIRequestContext, owner: Caller) => Promise<string>;
  /** Routes on one resource; `{id}` is replaced by A's id. */
  byId: Array<{ method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; path: string; data?: unknown }>;
  /** tRPC procedures taking `{ id }`: the same services over the other transport. */
  trpc?: Array<{ procedure: string; type: 'query' | 'mutation' }>;
  /** A list route of the resource, and how to read ids from its body. */
  list?: { path: string; ids: (body: unknown) => string[] };
}

const json = (response: { json(): Promise<unknown> }) => response.json() as Promise<Record<string, unknown>>;

async function createStrategy(request: APIRequestContext, owner: Caller): Promise<string> {
  const response = await request.post('/api/v1/strategies', {
    headers: bearer(owner.accessToken),
    data: { name: 'isolation', type: 'sma_crossover', params: { fastPeriod: 5, slowPeriod: 20 }, exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' },
  });
  expect(response.status(), await response.text()).toBe(201);
  return String((await json(response)).id);
}

async function createPaperAccount(request: APIRequestContext, owner: Caller): Promise<string> {
  const response = await request.post('/api/v1/accounts', {
    headers: bearer(owner.accessToken),
    data: { name: 'isolation', exchange: 'paper', balances: { USDT: '10000' } },
  });
  expect(response.status(), await response.text()).toBe(201);
  return String((await json(response)).id);
}

const BACKTEST_RANGE = { start: '2021-01-01T00:00:00Z', end: '2021-01-15T00:00:00Z', initialCapital: 10000, feeRate: 0.001, slippage: 0.0005 };

/** A backtested strategy deployed to a paper account on a real-time replay (it barely moves during the test). */
async function createDeployment(request: APIRequestContext, owner: Caller): Promise<string> {
  const strategyId = await createStrategy(request, owner);
  const accountId = await createPaperAccount(request, owner);
  const queued = await request.post('/api/v1/backtests', { headers: bearer(owner.accessToken), data: { strategyId, ...BACKTEST_RANGE } });
  expect(queued.status(), await queued.text()).toBe(202);
  const backtestId = String((await json(queued)).id);
  await expect
    .poll(async () => (await json(await request.get(`/api/v1/backtests/${backtestId}`, { headers: bearer(owner.accessToken) }))).status, { timeout: 60_000 })
    .toBe('completed');
  const response = await request.post(`/api/v1/strategies/${strategyId}/deployments`, {
    headers: bearer(owner.accessToken),
    data: { accountId, mode: 'paper', feed: { type: 'replay', speed: 1 } },
  });
  expect(response.status(), await response.text()).toBe(201);
  return String((await json(response)).id);
}

const RESOURCES: Resource[] = [
  {
    name: 'strategies',
    create: createStrategy,
    byId: [
      { method: 'GET', path: '/api/v1/strategies/{id}' },
      { method: 'PATCH', path: '/api/v1/strategies/{id}', data: { name: 'taken over' } },
      { method: 'POST', path: '/api/v1/strategies/{id}/clone', data: {} },
      { method: 'DELETE', path: '/api/v1/strategies/{id}' },
      { method: 'GET', path: '/api/v1/backtests?strategyId={id}' },
      { method: 'GET', path: '/api/v1/strategies/{id}/deployments' },
      { method: 'GET', path: '/api/v1/deployments?strategyId={id}' },
      { method: 'POST', path: '/api/v1/backtests', data: { strategyId: '{id}', ...BACKTEST_RANGE } },
      { method: 'POST', path: '/api/v1/strategies/{id}/deployments', data: { accountId: '00000000-0000-4000-8000-000000000000', mode: 'paper' } },
    ],
    trpc: [
      { procedure: 'strategies.get', type: 'query' },
      { procedure: 'strategies.archive', type: 'mutation' },
    ],
    list: { path: '/api/v1/strategies', ids: (body) => (body as Array<{ id: string }>).map((s) => s.id) },
  },
  {
    name: 'backtests',
    create: async (request, owner) => {
      const strategyId = await createStrategy(request, owner);
      const response = await request.post('/api/v1/backtests', { headers: bearer(owner.accessToken), data: { strategyId, ...BACKTEST_RANGE } });
      expect(response.status(), await response.text()).toBe(202);
      return String((await json(response)).id);
    },
    byId: [
      { method: 'GET', path: '/api/v1/backtests/{id}' },
      { method: 'GET', path: '/api/v1/backtests/{id}/chart' },
      { method: 'GET', path: '/api/v1/backtests/{id}/equity' },
      { method: 'DELETE', path: '/api/v1/backtests/{id}' },
    ],
    trpc: [
      { procedure: 'backtests.get', type: 'query' },
      { procedure: 'backtests.chart', type: 'query' },
      { procedure: 'backtests.equity', type: 'query' },
      { procedure: 'backtests.cancel', type: 'mutation' },
    ],
    list: { path: '/api/v1/backtests', ids: (body) => (body as Array<{ id: string }>).map((b) => b.id) },
  },
  {
    name: 'parameter sweeps',
    create: async (request, owner) => {
      const strategyId = await createStrategy(request, owner);
      const response = await request.post('/api/v1/sweeps', {
        headers: bearer(owner.accessToken),
        data: { strategyId, ...BACKTEST_RANGE, ranges: { fastPeriod: { values: [5, 8] }, slowPeriod: { values: [20] } } },
      });
      expect(response.status(), await response.text()).toBe(202);
      return String((await json(response)).id);
    },
    byId: [
      { method: 'GET', path: '/api/v1/sweeps/{id}' },
      { method: 'DELETE', path: '/api/v1/sweeps/{id}' },
    ],
    trpc: [
      { procedure: 'backtests.sweeps.get', type: 'query' },
      { procedure: 'backtests.sweeps.cancel', type: 'mutation' },
    ],
    list: { path: '/api/v1/sweeps', ids: (body) => (body as Array<{ id: string }>).map((s) => s.id) },
  },
  {
    name: 'exchange accounts',
    create: createPaperAccount,
    byId: [
      { method: 'GET', path: '/api/v1/accounts/{id}' },
      { method: 'PATCH', path: '/api/v1/accounts/{id}', data: { name: 'taken over' } },
      { method: 'GET', path: '/api/v1/accounts/{id}/balance' },
      { method: 'POST', path: '/api/v1/accounts/{id}/test', data: {} },
      { method: 'DELETE', path: '/api/v1/accounts/{id}' },
      { method: 'POST', path: '/api/v1/orders', data: { accountId: '{id}', symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: '0.001' } },
      { method: 'GET', path: '/api/v1/orders?accountId={id}' },
    ],
    trpc: [
      { procedure: 'accounts.get', type: 'query' },
      { procedure: 'accounts.balance', type: 'query' },
    ],
    list: { path: '/api/v1/accounts', ids: (body) => (body as { accounts: Array<{ id: string }> }).accounts.map((a) => a.id) },
  },
  {
    name: 'orders',
    create: async (request, owner) => {
      const accountId = await createPaperAccount(request, owner);
      const response = await request.post('/api/v1/orders', {
        headers: bearer(owner.accessToken),
        data: { accountId, symbol: 'BTC/USDT', side: 'buy', type: 'limit', quantity: '0.001', price: '1000' },
      });
      expect(response.status(), await response.text()).toBe(201);
      return String((await json(response)).id);
    },
    byId: [
      { method: 'GET', path: '/api/v1/orders/{id}' },
      { method: 'DELETE', path: '/api/v1/orders/{id}' },
    ],
    trpc: [
      { procedure: 'orders.get', type: 'query' },
      { procedure: 'orders.cancel', type: 'mutation' },
    ],
    list: { path: '/api/v1/orders', ids: (body) => (body as { orders: Array<{ id: string }> }).orders.map((o) => o.id) },
  },
  {
    name: 'deployments',
    create: createDeployment,
    byId: [
      { method: 'GET', path: '/api/v1/deployments/{id}' },
      { method: 'GET', path: '/api/v1/deployments/{id}/equity' },
      { method: 'GET', path: '/api/v1/orders?deploymentId={id}' },
      { method: 'POST', path: '/api/v1/deployments/{id}/pause' },
      { method: 'POST', path: '/api/v1/deployments/{id}/resume' },
      { method: 'POST', path: '/api/v1/deployments/{id}/stop', data: { closePosition: true } },
    ],
    trpc: [
      { procedure: 'deployments.get', type: 'query' },
      { procedure: 'deployments.pause', type: 'mutation' },
      { procedure: 'deployments.stop', type: 'mutation' },
    ],
    list: { path: '/api/v1/deployments', ids: (body) => (body as { deployments: Array<{ id: string }> }).deployments.map((d) => d.id) },
  },
  {
    name: 'alerts',
    // The kill switch raises one alert for its user (and pauses and cancels only that user's deployments and orders).
    create: async (request, owner) => {
      const killed = await request.post('/api/v1/kill-switch', { headers: bearer(owner.accessToken), data: { reason: 'isolation' } });
      expect(killed.status(), await killed.text()).toBe(200);
      const alerts = (await json(await request.get('/api/v1/alerts', { headers: bearer(owner.accessToken) }))) as unknown as {
        alerts: Array<{ id: number; kind: string }>;
      };
      // The kill switch latches: released again, so the owner's later resources can still trade.
      expect((await request.delete('/api/v1/kill-switch', { headers: bearer(owner.accessToken) })).status()).toBe(200);
      return String(alerts.alerts.find((a) => a.kind === 'kill_switch')!.id);
    },
    byId: [{ method: 'POST', path: '/api/v1/alerts/{id}/acknowledge' }],
    trpc: [{ procedure: 'alerts.acknowledge', type: 'mutation' }],
    list: { path: '/api/v1/alerts', ids: (body) => (body as { alerts: Array<{ id: number }> }).alerts.map((a) => String(a.id)) },
  },
  {
    name: 'API keys',
    create: async (request, owner) => (await createKey(request, owner, ['read'])).id,
    byId: [
      { method: 'GET', path: '/api/v1/keys/{id}' },
      { method: 'POST', path: '/api/v1/keys/{id}/rotate' },
      { method: 'DELETE', path: '/api/v1/keys/{id}' },
    ],
    list: { path: '/api/v1/keys', ids: (body) => (body as Array<{ id: string }>).map((k) => k.id) },
  },
  {
    name: 'audit events',
    create: async (request, owner) => (await createKey(request, owner, ['read'], 'audit isolation')).id,
    byId: [],
    list: {
      path: '/api/v1/audit?category=keys',
      ids: (body) => (body as { events: Array<{ details: { keyId?: string } }> }).events.map((e) => e.details.keyId ?? ''),
    },
  },
];

test.beforeAll(seedBtcCandles);

for (const resource of RESOURCES) {
  test(`isolation: ${resource.name} of user A are invisible to user B`, async ({ request }) => {
    const a = await newUser(request, 'iso-a');
    const b = await newUser(request, 'iso-b');
    const bKey = await createKey(request, b, ['trade']);
    const id = await resource.create(request, a);
    for (const credential of [b.accessToken, bKey.key]) {
      for (const route of resource.byId) {
        const data = route.data ? JSON.parse(JSON.stringify(route.data).replaceAll('{id}', id)) : undefined;
        const response = await request.fetch(route.path.replace('{id}', id), { method: route.method, headers: bearer(credential), ...(data ? { data } : {}) });
        expect(response.status(), `${route.method} ${route.path} with B's credentials`).toBe(404);
      }
      for (const { procedure, type } of resource.trpc ?? []) {
        const input = { json: { id } };
        const response =
          type === 'query'
            ? await request.get(`/api/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers: bearer(credential) })
            : await request.post(`/api/trpc/${procedure}`, { headers: bearer(credential), data: input });
        expect(response.status(), `tRPC ${procedure} with B's credentials`).toBe(404);
      }
      if (resource.list) {
        const response = await request.get(resource.list.path, { headers: bearer(credential) });
        expect(response.status()).toBe(200);
        expect(resource.list.ids(await response.json()), `${resource.list.path} for B never lists A's rows`).not.toContain(id);
      }
    }
    if (resource.list) {
      const own = await request.get(resource.list.path, { headers: bearer(a.accessToken) });
      expect(resource.list.ids(await own.json()), 'while A sees it (the test would notice a broken list)').toContain(id);
    }
  });
}
