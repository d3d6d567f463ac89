import { expect, test } from './contract';
import { bearer, createKey, newUser } from './keys-helpers';

test.describe('API keys over REST', () => {
  test('create → use → list without secrets → rotate → both work during grace → revoke', async ({ request }) => {
    const alice = await newUser(request, 'keysapi');
    const created = await request.post('/api/v1/keys', { headers: bearer(alice.accessToken), data: { name: 'bot', scopes: ['read'], expiresInDays: 30 } });
    expect(created.status()).toBe(201);
    const key = await created.json();
    expect(key.key, 'the whole key is returned once, recognisable by its prefix').toMatch(/^cb_[0-9A-Za-z]{16}_[0-9A-Za-z]{38}$/);
    expect(key.key.startsWith(key.prefix)).toBe(true);
    expect(key).toMatchObject({ name: 'bot', scopes: ['read'], state: 'active' });
    expect(new Date(key.expiresAt).getTime() - new Date(key.createdAt).getTime()).toBe(30 * 86_400_000);

    const me = await request.get('/api/v1/me', { headers: bearer(key.key) });
    expect(me.status(), 'an API key authenticates like an access token').toBe(200);
    expect((await me.json()).username).toBe(alice.username);
    expect(me.headers()['cryptobot-key-expires'], 'responses say when the key stops').toBe(new Date(key.expiresAt).toISOString());

    const list = await request.get('/api/v1/keys', { headers: bearer(alice.accessToken) });
    const listed = await list.json();
    expect(listed.map((k: { id: string }) => k.id)).toContain(key.id);
    expect(JSON.stringify(listed), 'a list never carries a secret').not.toContain(key.key.slice(20));
    expect(listed[0].lastUsedAt, 'use is recorded').not.toBeNull();

    const rotated = await request.post(`/api/v1/keys/${key.id}/rotate`, { headers: bearer(alice.accessToken) });
    expect(rotated.status()).toBe(200);
    const successor = await rotated.json();
    expect(successor.key).toMatch(/^cb_/);
    expect(successor.predecessorId).toBe(key.id);
    const oldMe = await request.get('/api/v1/me', { headers: bearer(key.key) });
    expect(oldMe.status(), 'the old key works during its grace period').toBe(200);
    expect(oldMe.headers()['cryptobot-key-rotation']).toBe('rotated');
    expect((await request.get('/api/v1/me', { headers: bearer(successor.key) })).status()).toBe(200);
    expect((await request.post(`/api/v1/keys/${key.id}/rotate`, { headers: bearer(alice.accessToken) })).status(), 'a successor is shown once').toBe(409);

    const revoked = await request.delete(`/api/v1/keys/${key.id}`, { headers: bearer(alice.accessToken) });
    expect(revoked.status()).toBe(200);
    expect((await revoked.json()).state).toBe('revoked');
    const afterRevoke = await request.get('/api/v1/me', { headers: bearer(key.key) });
    expect(afterRevoke.status(), 'a revoked key stops at once').toBe(401);
    expect((await afterRevoke.json()).error.message).toMatch(/revoked/);
    expect((await request.get('/api/v1/me', { headers: bearer(successor.key) })).status(), 'its handed-out successor keeps working').toBe(200);

    const audit = await request.get('/api/v1/audit?category=keys', { headers: bearer(alice.accessToken) });
    const types = (await audit.json()).events.map((e: { type: string }) => e.type);
    expect(types, 'key changes are in the audit log').toEqual(expect.arrayContaining(['key.created', 'key.rotated', 'key.revoked']));
  });

  test('a key fetches its own successor once with POST /api/v1/keys/current/rotate (read scope is enough)', async ({ request }) => {
    const bob = await newUser(request, 'keyscur');
    const key = await createKey(request, bob, ['read']);
    const fetched = await request.post('/api/v1/keys/current/rotate', { headers: bearer(key.key) });
    expect(fetched.status(), await fetched.text()).toBe(200);
    const successor = await fetched.json();
    expect(successor.key).toMatch(/^cb_/);
    expect((await request.post('/api/v1/keys/current/rotate', { headers: bearer(key.key) })).status(), 'only once').toBe(409);
    const withToken = await request.post('/api/v1/keys/current/rotate', { headers: bearer(bob.accessToken) });
    expect(withToken.status(), 'needs an API key').toBe(400);
  });

  test('malformed, forged and unknown keys are 401 with a message; tRPC takes keys too', async ({ request }) => {
    const carol = await newUser(request, 'keysbad');
    const key = await createKey(request, carol, ['read']);
    const flipped = key.key.slice(0, -1) + (key.key.endsWith('A') ? 'B' : 'A');
    for (const credential of [flipped, 'cb_short', `${key.key}x`, 'cb_AAAAAAAAAAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBCCCCCC']) {
      const response = await request.get('/api/v1/me', { headers: bearer(credential) });
      expect(response.status(), `refused: ${credential.slice(0, 12)}…`).toBe(401);
      const body = await response.json();
      expect(body.error.code).toBe('UNAUTHORIZED');
      expect(JSON.stringify(body), 'never echoes the key').not.toContain(credential);
    }
    const trpc = await request.get('/api/trpc/keys.list', { headers: bearer(key.key) });
    expect(trpc.status()).toBe(200);
    expect(trpc.headers()['cryptobot-key-expires'], 'tRPC responses carry the rotation headers too').toBeTruthy();
    expect((await trpc.json()).result.data.json.map((k: { id: string }) => k.id)).toContain(key.id);
  });

  test('bad input names the field: scopes, expiry, name; admin scope only for admins', async ({ request }) => {
    const dave = await newUser(request, 'keysval');
    const cases: Array<[unknown, string]> = [
      [{ name: 'x', scopes: [] }, 'scopes'],
      [{ name: 'x', scopes: ['root'] }, 'scopes.0'],
      [{ name: 'x', scopes: ['read'], expiresInDays: 91 }, 'expiresInDays'],
      [{ name: 'x', scopes: ['read'], expiresInDays: 0 }, 'expiresInDays'],
      [{ name: '', scopes: ['read'] }, 'name'],
      [{ name: 'x', scopes: ['read'], extra: 1 }, '(body)'],
    ];
    for (const [data, field] of cases) {
      const response = await request.post('/api/v1/keys', { headers: bearer(dave.accessToken), data });
      expect(response.status(), JSON.stringify(data)).toBe(422);
      expect(
        (await response.json()).error.details.fields.map((f: { field: string }) => f.field),
        JSON.stringify(data),
      ).toContain(field);
    }
    const admin = await request.post('/api/v1/keys', { headers: bearer(dave.accessToken), data: { name: 'x', scopes: ['admin'] } });
    expect(admin.status(), 'a user cannot create an admin key').toBe(403);
  });
});
