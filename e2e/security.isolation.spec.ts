import { expect, test, type APIRequestContext } from '@playwright/test';
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
  /** A list route of the resource, and how to read ids from its body. */
  list?: { path: string; ids: (body: unknown) => string[] };
}

const RESOURCES: Resource[] = [
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
    list: { path: '/api/v1/audit?category=keys', ids: (body) => (body as { events: Array<{ details: { keyId?: string } }> }).events.map((e) => e.details.keyId ?? '') },
  },
];

for (const resource of RESOURCES) {
  test(`isolation: ${resource.name} of user A are invisible to user B`, async ({ request }) => {
    const a = await newUser(request, 'iso-a');
    const b = await newUser(request, 'iso-b');
    const bKey = await createKey(request, b, ['trade']);
    const id = await resource.create(request, a);
    for (const credential of [b.accessToken, bKey.key]) {
      for (const route of resource.byId) {
        const response = await request.fetch(route.path.replace('{id}', id), { method: route.method, headers: bearer(credential), ...(route.data ? { data: route.data } : {}) });
        expect(response.status(), `${route.method} ${route.path} with B's credentials`).toBe(404);
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
