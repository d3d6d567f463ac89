import { afterAll, describe, expect, it } from 'vitest';
import { getDatabase } from '@/db/client';
import { GET } from '@/app/api/v1/openapi.json/route';
import { openApiDocument, toRouteConfig } from './document';
import { ROUTES } from './routes';
import { createContractValidator } from './validator';

afterAll(async () => {
  await getDatabase().close();
});

const user = { id: '3f1c2b0e-8d4a-4c6e-9b7a-2e5f1d3c4b5a', username: 'alice', role: 'user' };

describe('the OpenAPI document', () => {
  it('is served at GET /api/v1/openapi.json to anyone, cacheable', async () => {
    const response = await GET(new Request('http://localhost/api/v1/openapi.json'));
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control'), 'the same for everyone: a cache may keep it').toMatch(/^public, max-age=\d+/);
    const document = (await response.json()) as ReturnType<typeof openApiDocument>;
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.components?.securitySchemes ?? {}), 'both bearer schemes and the browser session').toEqual([
      'accessToken',
      'apiKey',
      'session',
    ]);
  });

  it('states the error shape, the auth and the success codes of each operation', () => {
    const document = openApiDocument();
    const me = document.paths!['/api/v1/me']!.get! as { security: unknown; responses: Record<string, unknown> };
    expect(me.security).toEqual([{ accessToken: [] }, { apiKey: [] }, { session: [] }]);
    expect(Object.keys(me.responses)).toEqual(expect.arrayContaining(['200', '401', '403', '429', '500']));
    expect(me.responses['401']).toMatchObject({ content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
    expect(document.paths!['/api/v1/auth/registration']!.get!.security, 'public: no credential').toEqual([]);
    expect(Object.keys(document.paths!['/api/v1/backtests']!.post!.responses ?? {}), 'queued: 202').toContain('202');
    expect(Object.keys(document.paths!['/api/v1/keys']!.post!.responses ?? {}), 'created: 201').toContain('201');
    const createAccount = document.paths!['/api/v1/accounts']!.post!;
    expect(createAccount.requestBody, 'bodies carry an example').toMatchObject({ content: { 'application/json': { example: { exchange: 'paper' } } } });
  });

  it('marks a deprecated route with its dates (none is deprecated today)', () => {
    expect(ROUTES.filter((r) => r.deprecated)).toEqual([]);
    const me = ROUTES.find((r) => r.path === '/api/v1/me')!;
    const operation = toRouteConfig({ ...me, deprecated: { since: new Date('2027-01-01Z'), sunset: new Date('2027-07-01Z'), link: '/api/v1/whoami' } });
    expect(operation.deprecated).toBe(true);
    expect(operation.description).toContain('Deprecated since 2027-01-01T00:00:00.000Z; may stop working after 2027-07-01T00:00:00.000Z: use /api/v1/whoami.');
    expect(toRouteConfig(me).deprecated).toBeUndefined();
  });

  it('compiles into a validator that accepts a matching answer and names what is wrong with the rest', () => {
    const { problems } = createContractValidator(openApiDocument());
    expect(problems({ method: 'GET', url: '/api/v1/me', status: 200, body: user })).toEqual([]);
    expect(problems({ method: 'GET', url: '/api/v1/me', status: 200, body: { ...user, id: 5 } }).join()).toContain('/id must be string');
    expect(problems({ method: 'GET', url: '/api/v1/me', status: 200, body: { username: 'alice', role: 'user' } }).join()).toContain('missingProperty');
    expect(problems({ method: 'GET', url: '/api/v1/me', status: 418, body: {} })).toEqual(['GET /api/v1/me does not document status 418']);
    expect(problems({ method: 'GET', url: 'http://localhost/api/v1/nowhere?x=1', status: 200, body: {} })).toEqual([
      'GET /api/v1/nowhere is not in the OpenAPI document',
    ]);
    const refusal = { error: { code: 'UNAUTHORIZED', message: 'sign in' } };
    expect(problems({ method: 'GET', url: '/api/v1/me', status: 401, body: refusal }), 'the shared error shape').toEqual([]);
    expect(problems({ method: 'GET', url: '/api/v1/me', status: 401, body: { message: 'sign in' } })).not.toEqual([]);
    expect(problems({ method: 'DELETE', url: '/api/v1/keys/abc', status: 404, body: refusal }), 'a path template matches its segment').toEqual([]);
  });

  it('states the output types: money as canonical decimal strings, times as ISO 8601 UTC', () => {
    const { problems } = createContractValidator(openApiDocument());
    const balance = (total: unknown) => ({ accountId: 'a', source: 'paper', balances: { USDT: { free: '1', used: '0', total } } });
    expect(problems({ method: 'GET', url: '/api/v1/accounts/a/balance', status: 200, body: balance('10000.5') })).toEqual([]);
    for (const bad of [10000.5, '10000.50', '1e4', '10,000']) {
      expect(
        problems({ method: 'GET', url: '/api/v1/accounts/a/balance', status: 200, body: balance(bad) }),
        `${JSON.stringify(bad)} is not a canonical decimal`,
      ).not.toEqual([]);
    }
    const me = { id: 'k', prefix: 'cb_x', name: 'n', scopes: ['read'], origin: 'created', state: 'active', stopsAt: '2026-01-01T00:00:00.000Z' };
    const times = {
      createdAt: '2026-01-01T00:00:00.000Z',
      expiresAt: '2026-03-01T00:00:00Z',
      lastUsedAt: null,
      rotatedAt: null,
      graceEndsAt: null,
      revokedAt: null,
    };
    const key = { ...me, ...times, revokedReason: null, predecessorId: null, successorId: null };
    expect(problems({ method: 'GET', url: '/api/v1/keys/k', status: 200, body: key })).toEqual([]);
    for (const bad of ['2026-01-01 00:00:00', '2026-01-01T02:00:00+02:00', 1767225600000]) {
      expect(
        problems({ method: 'GET', url: '/api/v1/keys/k', status: 200, body: { ...key, createdAt: bad } }),
        `${JSON.stringify(bad)} is not ISO 8601 UTC`,
      ).not.toEqual([]);
    }
  });
});
