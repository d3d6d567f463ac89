import { expect, test, type APIRequestContext, type APIResponse } from './contract';
import { E2E_ADMIN } from './global-setup';
import { TEST_PASSWORD } from './helpers';
import { bearer, createKey, newUser, type CreatedKey } from './keys-helpers';

/**
 * Who may manage keys, as a matrix: every key route (list, create, rotate by id, revoke by id,
 * current/rotate, revoke-all) over REST and tRPC, called by a browser session, an access token and keys
 * of every scope, acting on keys of every scope, on a user account and on an admin account.
 * The rule (server/services/keys/keys.ts authorizeKeyManagement, docs/security.md):
 *   - listing needs `read`, as every read;
 *   - create, rotate, revoke and revoke-all need a session, an access token or a key with `admin`;
 *     any key may rotate itself (current/rotate; or by its id, a write, so with `trade`);
 *   - nobody creates, rotates into or receives a key with a scope the caller lacks.
 * Every response is also searched for the plaintext of any key more powerful than its caller, and every
 * key handed out is tried on an admin-only route.
 */

type Scope = 'read' | 'trade' | 'admin';
type Transport = 'REST' | 'tRPC';
type CallerKind = 'session' | 'access token' | 'read key' | 'trade key' | 'admin key';
type Action = 'list' | 'create' | 'rotate' | 'rotate self' | 'revoke' | 'current/rotate' | 'revoke-all';

const FULL_KEY = /cb_[0-9A-Za-z]{16}_[0-9A-Za-z]{38}/g;
const expand = (s: Scope): Scope[] => (s === 'admin' ? ['read', 'trade', 'admin'] : s === 'trade' ? ['read', 'trade'] : ['read']);

/** One account under test and the credentials that act for it. */
interface Account {
  label: 'user' | 'admin';
  username: string;
  password: string;
  role: 'user' | 'admin';
  accessToken: string;
  /** A request context holding this account's next-auth session cookie. */
  session: APIRequestContext;
}

interface Caller {
  kind: CallerKind;
  scopes: Scope[];
  /** Undefined for a session (the cookie of account.session is the credential). */
  bearer?: string;
  key?: CreatedKey;
}

/** Signs in through next-auth's credentials endpoint, as the login form does; the context keeps the cookie. */
async function signIn(request: APIRequestContext, username: string, password: string): Promise<void> {
  const { csrfToken } = await (await request.get('/api/auth/csrf')).json();
  const response = await request.post('/api/auth/callback/credentials', { form: { csrfToken, username, password, json: 'true' }, maxRedirects: 0 });
  expect([200, 302], `signing in ${username}`).toContain(response.status());
  expect((await request.get('/api/v1/me')).status(), 'the session cookie authenticates').toBe(200);
}

async function newToken(request: APIRequestContext, username: string, password: string): Promise<string> {
  const response = await request.post('/api/v1/auth/token', { data: { username, password } });
  expect(response.status(), await response.text()).toBe(200);
  return (await response.json()).accessToken;
}

async function openAccount(request: APIRequestContext, newContext: () => Promise<APIRequestContext>, label: 'user' | 'admin'): Promise<Account> {
  const { username, password } = label === 'admin' ? E2E_ADMIN : { username: (await newUser(request, 'keyscope')).username, password: TEST_PASSWORD };
  const session = await newContext();
  await signIn(session, username, password);
  return { label, username, password, role: label, accessToken: await newToken(request, username, password), session };
}

const roleScopes = (account: Account): Scope[] => (account.role === 'admin' ? ['read', 'trade', 'admin'] : ['read', 'trade']);

/** A key of the account, made with its access token (sessions and tokens may always create keys). */
const keyOf = (request: APIRequestContext, account: Account, scope: Scope, name: string) =>
  createKey(request, { username: account.username, accessToken: account.accessToken }, [scope], name);

async function callerOf(request: APIRequestContext, account: Account, kind: CallerKind): Promise<Caller> {
  if (kind === 'session') return { kind, scopes: roleScopes(account) };
  if (kind === 'access token') return { kind, scopes: roleScopes(account), bearer: account.accessToken };
  const scope = kind.split(' ')[0] as Scope;
  const key = await keyOf(request, account, scope, `caller ${kind}`);
  return { kind, scopes: expand(scope), bearer: key.key, key };
}

interface Outcome {
  status: number;
  text: string;
  /** The body's payload: REST's JSON, or tRPC's result.data.json. */
  data: unknown;
}

/** One key route over one transport. Session callers go through the account's cookie context. */
async function call(
  request: APIRequestContext,
  account: Account,
  caller: Caller,
  transport: Transport,
  action: Action,
  arg: { id?: string; scope?: Scope } = {},
): Promise<Outcome> {
  const ctx = caller.bearer ? request : account.session;
  const headers = caller.bearer ? bearer(caller.bearer) : {};
  let response: APIResponse;
  if (transport === 'REST') {
    switch (action) {
      case 'list':
        response = await ctx.get('/api/v1/keys', { headers });
        break;
      case 'create':
        response = await ctx.post('/api/v1/keys', { headers, data: { name: 'made by matrix', scopes: [arg.scope] } });
        break;
      case 'rotate':
      case 'rotate self':
        response = await ctx.post(`/api/v1/keys/${arg.id}/rotate`, { headers, data: {} });
        break;
      case 'revoke':
        response = await ctx.delete(`/api/v1/keys/${arg.id}`, { headers });
        break;
      case 'current/rotate':
        response = await ctx.post('/api/v1/keys/current/rotate', { headers, data: {} });
        break;
      case 'revoke-all':
        response = await ctx.post('/api/v1/keys/revoke-all', { headers, data: { reason: 'scope matrix' } });
        break;
    }
  } else {
    const mutation = (name: string, input: unknown) => ctx.post(`/api/trpc/keys.${name}`, { headers, data: { json: input } });
    switch (action) {
      case 'list':
        response = await ctx.get('/api/trpc/keys.list', { headers });
        break;
      case 'create':
        response = await mutation('create', { name: 'made by matrix', scopes: [arg.scope] });
        break;
      case 'rotate':
      case 'rotate self':
        response = await mutation('rotate', { id: arg.id });
        break;
      case 'revoke':
        response = await mutation('revoke', { id: arg.id });
        break;
      case 'current/rotate':
        response = await mutation('rotateCurrent', null);
        break;
      case 'revoke-all':
        response = await mutation('revokeAll', { reason: 'scope matrix' });
        break;
    }
  }
  const text = await response.text();
  let data: unknown = null;
  try {
    const body = JSON.parse(text);
    data = transport === 'REST' ? body : (body?.result?.data?.json ?? null);
  } catch {
    // Not JSON: left null; the status assertion reports it.
  }
  return { status: response.status(), text, data };
}

/** The rule, written out: the status each caller must get. */
function expectedStatus(caller: Caller, transport: Transport, action: Action, arg: { scope?: Scope } = {}): number {
  const isKey = caller.kind.endsWith('key');
  const created = transport === 'REST' ? 201 : 200;
  const writeScopeMissing = isKey && !caller.scopes.includes('trade');
  switch (action) {
    case 'list':
      return 200;
    case 'current/rotate':
      return isKey ? 200 : 400;
    case 'rotate self':
      return writeScopeMissing ? 403 : 200;
    case 'create':
      if (isKey && !caller.scopes.includes('admin')) return 403;
      return expand(arg.scope!).every((s) => caller.scopes.includes(s)) ? created : 403;
    case 'rotate':
    case 'revoke':
    case 'revoke-all':
      return isKey && !caller.scopes.includes('admin') ? 403 : 200;
  }
}

const KINDS: CallerKind[] = ['session', 'access token', 'read key', 'trade key', 'admin key'];

for (const label of ['user', 'admin'] as const) {
  for (const transport of ['REST', 'tRPC'] as const) {
    test(`key routes × credentials on a${label === 'admin' ? 'n' : ''} ${label} account over ${transport}: no key reaches beyond its scope`, async ({
      request,
      playwright,
      baseURL,
    }) => {
      test.setTimeout(240_000);
      const contexts: APIRequestContext[] = [];
      const newContext = async () => {
        const context = await playwright.request.newContext({ baseURL });
        contexts.push(context);
        return context;
      };
      const account = await openAccount(request, newContext, label);
      const targets: Scope[] = label === 'admin' ? ['read', 'trade', 'admin'] : ['read', 'trade'];
      const kinds = KINDS.filter((k) => k !== 'admin key' || label === 'admin');
      /** Every whole key seen in this test, with its scopes: none may reach a caller with fewer scopes. */
      const known: Array<{ key: string; scopes: Scope[] }> = [];
      const remember = (key: CreatedKey) => known.push({ key: key.key, scopes: key.scopes as Scope[] });

      const check = async (caller: Caller, action: Action, arg: { id?: string; scope?: Scope; target?: string } = {}) => {
        const what = `${account.label} ${caller.kind} → ${transport} ${action}${arg.target ? ` ${arg.target}` : arg.scope ? ` ${arg.scope}` : ''}`;
        const outcome = await call(request, account, caller, transport, action, arg);
        expect(outcome.status, `${what}: ${outcome.text.slice(0, 300)}`).toBe(expectedStatus(caller, transport, action, arg));
        for (const k of known) {
          if (!k.scopes.every((s) => caller.scopes.includes(s)))
            expect(outcome.text.includes(k.key), `${what} returned a ${k.scopes.join('+')} key's plaintext`).toBe(false);
        }
        const handedOut = outcome.text.match(FULL_KEY) ?? [];
        if (outcome.status >= 400) expect(handedOut, `${what}: a refusal carries no key`).toEqual([]);
        const issued = outcome.data as { key?: string; scopes?: Scope[] } | null;
        if (issued?.key) {
          expect(
            issued.scopes!.every((s) => caller.scopes.includes(s)),
            `${what} received a ${issued.scopes!.join('+')} key`,
          ).toBe(true);
          const adminRoute = await request.get('/api/v1/audit/all', { headers: bearer(issued.key) });
          expect(adminRoute.status(), `${what}: the key handed out opens admin routes exactly when it has the admin scope`).toBe(
            issued.scopes!.includes('admin') && account.role === 'admin' ? 200 : 403,
          );
          if (adminRoute.status() === 200)
            expect(caller.scopes, `${what}: only a caller with the admin scope gets a key that opens admin routes`).toContain('admin');
          known.push({ key: issued.key, scopes: issued.scopes! });
        }
        return outcome;
      };

      for (const kind of kinds) {
        const caller = await callerOf(request, account, kind);
        if (caller.key) remember(caller.key);
        await check(caller, 'list');
        for (const scope of targets) await check(caller, 'create', { scope });
        if (account.role === 'user') await check(caller, 'create', { scope: 'admin' });
        for (const scope of targets) {
          const toRotate = await keyOf(request, account, scope, `target ${scope}`);
          remember(toRotate);
          await check(caller, 'rotate', { id: toRotate.id, target: `${scope} key` });
          const toRevoke = await keyOf(request, account, scope, `target ${scope}`);
          remember(toRevoke);
          await check(caller, 'revoke', { id: toRevoke.id, target: `${scope} key` });
          const stillWorks = (await request.get('/api/v1/me', { headers: bearer(toRevoke.key) })).status();
          expect(stillWorks, `${kind} → revoke ${scope}: revoked exactly when allowed`).toBe(expectedStatus(caller, transport, 'revoke') === 200 ? 401 : 200);
        }
        if (caller.key) await check(caller, 'rotate self', { id: caller.key.id, target: 'itself' });
        // current/rotate on a caller that has not rotated yet (a rotated key was handed its successor once).
        await check(kind.endsWith('key') ? await callerOf(request, account, kind) : caller, 'current/rotate');
      }

      // Revoke-all last: refusals first (nothing may change), then the allowed callers, each followed by a fresh sign-in.
      const canary = await keyOf(request, account, 'read', 'canary');
      for (const kind of kinds.filter((k) => k === 'read key' || k === 'trade key')) {
        await check(await callerOf(request, account, kind), 'revoke-all');
        expect((await request.get('/api/v1/me', { headers: bearer(canary.key) })).status(), `${kind} → revoke-all refused: the account's keys still work`).toBe(
          200,
        );
      }
      for (const kind of kinds.filter((k) => k === 'session' || k === 'access token' || k === 'admin key')) {
        await check(await callerOf(request, account, kind), 'revoke-all');
        expect(
          (await request.get('/api/v1/me', { headers: bearer(account.accessToken) })).status(),
          `${kind} → revoke-all: every token of the account stops`,
        ).toBe(401);
        account.accessToken = await newToken(request, account.username, account.password);
        await signIn(account.session, account.username, account.password);
      }
      for (const context of contexts) await context.dispose();
    });
  }
}
