import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getDatabase } from '@/db/client';
import { getEnv } from '@/server/env';
import { appRouter } from '@/server/api/root';
import { createCallerFactory } from '@/server/api/trpc';
import { issueTokenPair } from '@/server/services/auth/tokens';
import { findUserById } from '@/server/services/auth/users';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { POST as register } from '../auth/register/route';
import { GET as registration } from '../auth/registration/route';
import { GET as trpc } from '../../trpc/[trpc]/route';
import { DELETE as revoke } from './[id]/route';
import { generateKey } from '@/server/services/keys/format';
import { GET as list, POST as create } from './route';

/**
 * The REST handlers of registration and invites in each CRYPTOBOT_REGISTRATION mode (read per request),
 * on a database of this file's own that starts empty.
 */
let t: TestDatabase;
let adminToken: string;
let userToken: string;
const pw = 'long enough pw';

beforeAll(async () => {
  t = await createTestDatabase();
  process.env.DATABASE_URL = t.url;
  // Read once by getEnv(), before any handler runs: a small API-key failure limit for the last test.
  process.env.CRYPTOBOT_API_KEY_FAILURES_PER_IP = '3';
});
afterEach(() => {
  delete process.env.CRYPTOBOT_REGISTRATION;
});
afterAll(async () => {
  await getDatabase().close();
  await t.destroy();
});

function post(path: string, body: unknown, token?: string, ip = '198.51.100.1'): Request {
  return new Request(`http://localhost${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': ip, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
}
const get = (path: string, token?: string) => new Request(`http://localhost${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

async function tokenFor(id: string): Promise<string> {
  const user = (await findUserById(t.db, id))!;
  return (await issueTokenPair(t.db, user, { secret: getEnv().NEXTAUTH_SECRET, refreshTokenTtlDays: 1 })).accessToken;
}

describe('registration by mode, over REST', () => {
  it('closed: the first account registers as admin, the next is refused with 403 and a clear message', async () => {
    process.env.CRYPTOBOT_REGISTRATION = 'closed';
    expect(await (await registration(get('/api/v1/auth/registration'))).json()).toEqual({ mode: 'closed', firstAccount: true });
    const first = await register(post('/api/v1/auth/register', { username: 'route-admin', password: pw }));
    expect(first.status).toBe(201);
    adminToken = await tokenFor(((await first.json()) as { id: string }).id);
    const second = await register(post('/api/v1/auth/register', { username: 'route-second', password: pw }));
    expect(second.status).toBe(403);
    expect(((await second.json()) as { error: { message: string } }).error.message).toMatch(/registration is closed/);
    expect(await (await registration(get('/api/v1/auth/registration'))).json()).toEqual({ mode: 'closed', firstAccount: false });
  });

  it('open: anyone registers without a code (the mode is read per request)', async () => {
    process.env.CRYPTOBOT_REGISTRATION = 'open';
    const response = await register(post('/api/v1/auth/register', { username: 'route-user', password: pw }));
    expect(response.status).toBe(201);
    userToken = await tokenFor(((await response.json()) as { id: string }).id);
  });

  it('invite: no code is 403 naming inviteCode; an admin creates an invite, it registers once, the second use is 422', async () => {
    process.env.CRYPTOBOT_REGISTRATION = 'invite';
    const without = await register(post('/api/v1/auth/register', { username: 'route-invited', password: pw }));
    expect(without.status).toBe(403);
    expect(((await without.json()) as { error: { details: { fields: { field: string }[] } } }).error.details.fields[0]!.field).toBe('inviteCode');

    const created = await create(post('/api/v1/invites', { expiresInHours: 24, note: 'for erin' }, adminToken));
    expect(created.status).toBe(201);
    const invite = (await created.json()) as { id: string; code: string; path: string; state: string };
    expect(invite.state).toBe('active');
    const withCode = await register(
      post('/api/v1/auth/register', { username: 'route-invited', password: pw, inviteCode: invite.code }, undefined, '198.51.100.2'),
    );
    expect(withCode.status).toBe(201);
    const again = await register(
      post('/api/v1/auth/register', { username: 'route-invited-2', password: pw, inviteCode: invite.code }, undefined, '198.51.100.2'),
    );
    expect(again.status).toBe(422);

    const listed = (await (await list(get('/api/v1/invites', adminToken))).json()) as {
      mode: string;
      invites: { id: string; state: string; usedBy: string | null }[];
    };
    expect(listed.mode).toBe('invite');
    expect(listed.invites.find((i) => i.id === invite.id)).toMatchObject({ state: 'used', usedBy: 'route-invited' });
    expect(JSON.stringify(listed), 'the code is shown once, at creation').not.toContain(invite.code);
  });

  it('invites are admin-only over REST and tRPC, and revocable', async () => {
    expect((await list(get('/api/v1/invites', userToken))).status).toBe(403);
    expect((await create(post('/api/v1/invites', { expiresInHours: 1 }, userToken))).status).toBe(403);
    const bad = await create(post('/api/v1/invites', { expiresInHours: 0 }, adminToken));
    expect(bad.status).toBe(422);
    const invite = (await (await create(post('/api/v1/invites', { expiresInHours: 1 }, adminToken))).json()) as { id: string; code: string };
    const revokeRequest = (token: string) =>
      new Request(`http://localhost/api/v1/invites/${invite.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    expect((await revoke(revokeRequest(userToken), { params: Promise.resolve({ id: invite.id }) })).status).toBe(403);
    const revoked = await revoke(revokeRequest(adminToken), { params: Promise.resolve({ id: invite.id }) });
    expect(revoked.status).toBe(200);
    expect(((await revoked.json()) as { state: string }).state).toBe('revoked');

    const caller = (id: string, role: 'admin' | 'user') =>
      createCallerFactory(appRouter)({
        db: t.db,
        req: null,
        user: { id, username: 'x', role, sessionVersion: 0 },
        authMethod: 'bearer',
        scopes: role === 'admin' ? ['read', 'trade', 'admin'] : ['read', 'trade'],
        apiKey: null,
        authError: null,
        ip: null,
      });
    const user = (await findUserById(t.db, (await t.db.query.users.findFirst({ where: (u, { eq }) => eq(u.username, 'route-user') }))!.id))!;
    await expect(caller(user.id, 'user').invites.create({ expiresInHours: 1 })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const admin = (await t.db.query.users.findFirst({ where: (u, { eq }) => eq(u.username, 'route-admin') }))!;
    const viaTrpc = await caller(admin.id, 'admin').invites.create({ expiresInHours: 1 });
    expect(viaTrpc.path).toBe(`/register?invite=${viaTrpc.code}`);
  });

  it('registration bursts from one address are 429 with Retry-After over REST', async () => {
    process.env.CRYPTOBOT_REGISTRATION = 'open';
    const responses = await Promise.all(
      Array.from({ length: 8 }, (_, i) => register(post('/api/v1/auth/register', { username: `route-burst-${i}`, password: pw }, undefined, '198.51.100.99'))),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201).length, 'the default limit: 5 per hour').toBe(5);
    const throttled = responses.filter((r) => r.status === 429);
    expect(throttled.length).toBe(3);
    for (const r of throttled) expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(3500);
  });

  it('API-key failures from one address are 429 with Retry-After over REST and tRPC, once the limit is used', async () => {
    const ip = '198.51.100.150';
    const withKey = (path: string) =>
      new Request(`http://localhost${path}`, { headers: { authorization: `Bearer ${generateKey().key}`, 'x-forwarded-for': ip } });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await list(withKey('/api/v1/invites'))).status);
    expect(statuses, 'the limit (3 here) is evaluated').toEqual([401, 401, 401]);
    const rest = await list(withKey('/api/v1/invites'));
    expect(rest.status).toBe(429);
    expect(Number(rest.headers.get('retry-after'))).toBeGreaterThan(0);
    const overTrpc = await trpc(withKey('/api/trpc/invites.list'));
    expect(overTrpc.status).toBe(429);
    expect(Number(overTrpc.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
