import { expect, type APIRequestContext } from './contract';
import { E2E_ADMIN } from './global-setup';
import { registerAndToken } from './helpers';

export const bearer = (credential: string) => ({ authorization: `Bearer ${credential}` });

export interface Caller {
  username: string;
  accessToken: string;
}

/** A new user with an access token. */
export async function newUser(request: APIRequestContext, prefix: string): Promise<Caller> {
  const { username, accessToken } = await registerAndToken(request, prefix);
  return { username, accessToken };
}

/** The run's admin (the first account on the e2e database), with a fresh access token. */
export async function adminCaller(request: APIRequestContext): Promise<Caller> {
  const token = await request.post('/api/v1/auth/token', { data: E2E_ADMIN });
  expect(token.status(), 'the e2e admin signs in').toBe(200);
  return { username: E2E_ADMIN.username, accessToken: (await token.json()).accessToken };
}

export interface CreatedKey {
  id: string;
  key: string;
  prefix: string;
  scopes: string[];
}

export async function createKey(request: APIRequestContext, caller: Caller, scopes: string[], name = `key ${scopes.join('+')}`): Promise<CreatedKey> {
  const response = await request.post('/api/v1/keys', { headers: bearer(caller.accessToken), data: { name, scopes } });
  expect(response.status(), await response.text()).toBe(201);
  return response.json();
}
