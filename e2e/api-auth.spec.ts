import { expect, test } from './contract';
import { registerAndToken, TEST_PASSWORD, uniqueUsername } from './helpers';

test.describe('REST auth', () => {
  test('register → token → me → refresh, with single-use refresh tokens', async ({ request }) => {
    const username = uniqueUsername('api');
    const registered = await request.post('/api/v1/auth/register', { data: { username, password: TEST_PASSWORD } });
    expect(registered.status()).toBe(201);
    const user = await registered.json();
    expect(user).toEqual({ id: expect.any(String), username });

    const token = await request.post('/api/v1/auth/token', { data: { username, password: TEST_PASSWORD } });
    expect(token.status()).toBe(200);
    const pair = await token.json();
    expect(pair).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, accessToken: expect.any(String), refreshToken: expect.any(String) });

    const me = await request.get('/api/v1/me', { headers: { authorization: `Bearer ${pair.accessToken}` } });
    expect(me.status()).toBe(200);
    expect(await me.json()).toEqual({ id: user.id, username, role: 'user' });

    const refreshed = await request.post('/api/v1/auth/refresh', { data: { refreshToken: pair.refreshToken } });
    expect(refreshed.status()).toBe(200);
    const next = await refreshed.json();
    expect(next.refreshToken).not.toBe(pair.refreshToken);
    const meAgain = await request.get('/api/v1/me', { headers: { authorization: `Bearer ${next.accessToken}` } });
    expect(meAgain.status()).toBe(200);

    const replay = await request.post('/api/v1/auth/refresh', { data: { refreshToken: pair.refreshToken } });
    expect(replay.status(), 'a retired refresh token is refused').toBe(401);
    const afterReplay = await request.post('/api/v1/auth/refresh', { data: { refreshToken: next.refreshToken } });
    expect(afterReplay.status(), 'reusing a retired token revokes its whole family').toBe(401);
  });

  test('the same 401 for an unknown user and a wrong password', async ({ request }) => {
    const { username } = await registerAndToken(request, 'same401');
    const wrong = await request.post('/api/v1/auth/token', { data: { username, password: 'wrong password!' } });
    const unknown = await request.post('/api/v1/auth/token', { data: { username: uniqueUsername('ghost'), password: TEST_PASSWORD } });
    expect(wrong.status()).toBe(401);
    expect(unknown.status()).toBe(401);
    expect(await wrong.json()).toEqual(await unknown.json());
  });

  test('bad input is a 422 naming the field; a taken name is 409', async ({ request }) => {
    const badName = await request.post('/api/v1/auth/register', { data: { username: 'x', password: TEST_PASSWORD } });
    expect(badName.status()).toBe(422);
    const badNameBody = await badName.json();
    expect(badNameBody.error.code).toBe('UNPROCESSABLE');
    expect(badNameBody.error.details.fields).toContainEqual({ field: 'username', message: 'must be 3 to 32 characters' });

    const weak = await request.post('/api/v1/auth/register', { data: { username: uniqueUsername('weak'), password: 'short' } });
    expect(weak.status()).toBe(422);
    expect((await weak.json()).error.details.fields).toEqual([{ field: 'password', message: 'is too weak: use at least 10 characters' }]);

    const wrongType = await request.post('/api/v1/auth/register', { data: { username: 42, password: TEST_PASSWORD } });
    expect(wrongType.status()).toBe(422);
    expect((await wrongType.json()).error.details.fields[0].field).toBe('username');

    const { username } = await registerAndToken(request, 'dup');
    const taken = await request.post('/api/v1/auth/register', { data: { username, password: TEST_PASSWORD } });
    expect(taken.status()).toBe(409);
    expect((await taken.json()).error.code).toBe('CONFLICT');

    const notJson = await request.post('/api/v1/auth/token', { headers: { 'content-type': 'application/json' }, data: Buffer.from('{"username":') });
    expect(notJson.status()).toBe(400);
    const body = await notJson.text();
    expect(body, 'never a stack trace to a client').not.toMatch(/at .*\.(js|ts):\d+/);
  });

  test('me without a token or with a forged one is 401', async ({ request }) => {
    expect((await request.get('/api/v1/me')).status()).toBe(401);
    const forged = await request.get('/api/v1/me', { headers: { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.bad' } });
    expect(forged.status()).toBe(401);
    expect((await forged.json()).error.code).toBe('UNAUTHORIZED');
  });

  test('tRPC takes the same bearer token and the same schemas', async ({ request }) => {
    const { accessToken, username } = await registerAndToken(request, 'trpc');
    const me = await request.get('/api/trpc/auth.me', { headers: { authorization: `Bearer ${accessToken}` } });
    expect(me.status()).toBe(200);
    expect((await me.json()).result.data.json.username).toBe(username);

    const bad = await request.post('/api/trpc/auth.register', { data: { json: { username: 'NO', password: 'x' } } });
    expect(bad.status()).toBe(400);
    const error = (await bad.json()).error.json;
    expect(error.data.fields.map((f: { field: string }) => f.field).sort()).toEqual(['password', 'username', 'username']);
    expect(JSON.stringify(error)).not.toMatch(/at .*\.(js|ts):\d+/);
  });
});

test('health reports the database and the worker heartbeat', async ({ request }) => {
  const response = await request.get('/api/health');
  expect(response.status()).toBe(200);
  const body = await response.json();
  expect(body.status).toBe('ok');
  expect(body.db).toBe('ok');
  expect(Date.now() - new Date(body.worker.lastHeartbeat).getTime(), 'the worker beats every second under test').toBeLessThan(30_000);
});
