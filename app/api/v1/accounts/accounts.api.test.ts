import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDatabase } from '@/db/client';
import { getEnv } from '@/server/env';
import { issueTokenPair } from '@/server/services/auth/tokens';
import { findUserById, registerUser } from '@/server/services/auth/users';
import { GET as getBalance } from './[id]/balance/route';
import { DELETE as deleteOne, GET as getOne, PATCH as patchOne } from './[id]/route';
import { POST as testConnection } from './[id]/test/route';
import { GET as list, POST as create } from './route';

/** The REST handlers themselves (auth, parsing, status codes) on the run's database. */
let aliceToken: string;
let bobToken: string;
const SECRET = 'rest-secret-value-abcdefghijklmnop';
const API_KEY = 'rest-api-key-value-wxyz';

async function tokenFor(username: string): Promise<string> {
  const { db } = getDatabase();
  const user = await registerUser(db, { username, password: 'long enough pw' });
  const pair = await issueTokenPair(db, (await findUserById(db, user.id))!, { secret: getEnv().NEXTAUTH_SECRET, refreshTokenTtlDays: 1 });
  return pair.accessToken;
}

function request(method: string, token: string, body?: unknown, path = '/api/v1/accounts'): Request {
  return new Request(`http://localhost${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}
const route = (id: string) => ({ params: Promise.resolve({ id }) });

beforeAll(async () => {
  const suffix = Date.now().toString(36);
  aliceToken = await tokenFor(`rest-alice-${suffix}`);
  bobToken = await tokenFor(`rest-bob-${suffix}`);
});
afterAll(() => getDatabase().close());

describe('REST /api/v1/accounts', () => {
  it('creates a paper account (201) and serves its balance as decimal strings', async () => {
    const response = await create(request('POST', aliceToken, { name: 'Paper', exchange: 'paper', balances: { USDT: '10000.50' } }));
    expect(response.status, 'created').toBe(201);
    const account = (await response.json()) as { id: string; name: string; exchange: string };
    expect(account).toMatchObject({ name: 'Paper', exchange: 'paper' });
    const balance = await getBalance(request('GET', aliceToken), route(account.id));
    expect(await balance.json(), 'canonical decimal strings').toMatchObject({ balances: { USDT: { free: '10000.5', used: '0', total: '10000.5' } } });
  });

  it('takes a rate or an amount as a JSON number or a decimal string (docs/api.md, "Types"), answering with strings', async () => {
    const response = await create(
      request('POST', aliceToken, { name: 'Paper numbers', exchange: 'paper', feeRate: 0.001, slippage: '0.0005', balances: { USDT: 2500.25 } }),
    );
    expect(response.status, 'a number feeRate is accepted: 201').toBe(201);
    const account = (await response.json()) as { id: string; feeRate: string; slippage: string };
    expect(account, 'outputs stay decimal strings').toMatchObject({ feeRate: '0.001', slippage: '0.0005' });
    const patched = await patchOne(request('PATCH', aliceToken, { feeRate: 0.002 }), route(account.id));
    expect(patched.status).toBe(200);
    expect(((await patched.json()) as { feeRate: string }).feeRate).toBe('0.002');
    const balance = await getBalance(request('GET', aliceToken), route(account.id));
    expect(await balance.json()).toMatchObject({ balances: { USDT: { total: '2500.25' } } });
    const refused = await create(request('POST', aliceToken, { name: 'Paper bad', exchange: 'paper', feeRate: 'abc' }));
    expect(refused.status).toBe(422);
    expect(await refused.json()).toMatchObject({ error: { details: { fields: [{ field: 'feeRate', message: 'feeRate must be a decimal number' }] } } });
  });

  it('never returns a credential from any endpoint', async () => {
    const created = await create(request('POST', aliceToken, { name: 'Binance', exchange: 'binance', credentials: { apiKey: API_KEY, secret: SECRET } }));
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const bodies = [
      await (await create(request('POST', aliceToken, { name: 'Binance 2', exchange: 'binance', credentials: { apiKey: API_KEY, secret: SECRET } }))).text(),
      await (await list(request('GET', aliceToken))).text(),
      await (await getOne(request('GET', aliceToken), route(id))).text(),
      await (await patchOne(request('PATCH', aliceToken, { name: 'Binance renamed' }), route(id))).text(),
      await (await testConnection(request('POST', aliceToken, {}), route(id))).text(),
    ];
    for (const body of bodies) {
      expect(body, 'no secret').not.toContain(SECRET);
      expect(body, 'no full API key').not.toContain(API_KEY);
    }
    expect(bodies[2], 'only the last 4 characters of the key').toContain('"apiKeyHint":"…wxyz"');
  });

  it('answers bad input with 422 naming the field', async () => {
    const cases: Array<[unknown, string]> = [
      [{ name: 'p', exchange: 'paper', credentials: { apiKey: 'aaaa', secret: 'bbbb' } }, 'credentials'],
      [{ name: 'b', exchange: 'binance' }, 'credentials'],
      [{ name: 'b', exchange: 'binance', credentials: { apiKey: 'aaaa' } }, 'credentials.secret'],
      [{ name: 'x', exchange: 'notanexchange' }, 'exchange'],
      [{ name: 'x', exchange: 'paper', balances: { USDT: '-5' } }, 'balances.USDT'],
      [{ name: 'x', exchange: 'paper', feeRate: '0.5' }, 'feeRate'],
      [{ name: '', exchange: 'paper' }, 'name'],
    ];
    for (const [body, field] of cases) {
      const response = await create(request('POST', aliceToken, body));
      expect(response.status, `${JSON.stringify(body)} is a 422`).toBe(422);
      const error = ((await response.json()) as { error: { details: { fields: Array<{ field: string }> } } }).error;
      expect(
        error.details.fields.map((f) => f.field),
        `${JSON.stringify(body)} names ${field}`,
      ).toContain(field);
    }
  });

  it("answers 404 for another user's account on every route", async () => {
    const created = await create(request('POST', aliceToken, { name: 'Mine', exchange: 'paper', balances: { USDT: '1' } }));
    const { id } = (await created.json()) as { id: string };
    const statuses = [
      (await getOne(request('GET', bobToken), route(id))).status,
      (await patchOne(request('PATCH', bobToken, { name: 'x' }), route(id))).status,
      (await deleteOne(request('DELETE', bobToken), route(id))).status,
      (await getBalance(request('GET', bobToken), route(id))).status,
      (await testConnection(request('POST', bobToken, {}), route(id))).status,
    ];
    expect(statuses, 'all 404').toEqual([404, 404, 404, 404, 404]);
    const bobList = (await (await list(request('GET', bobToken))).json()) as { accounts: Array<{ id: string }> };
    expect(
      bobList.accounts.map((a) => a.id),
      "not in bob's list",
    ).not.toContain(id);
    expect((await deleteOne(request('DELETE', aliceToken), route(id))).status, 'the owner may delete it').toBe(200);
    expect((await getOne(request('GET', aliceToken), route(id))).status, 'gone').toBe(404);
  });
});
