import type { Db } from '@/db/client';
import { getEnv } from '@/server/env';
import { verifyAccessToken } from '@/server/services/auth/tokens';
import type { AuthUser } from '@/server/services/auth/users';
import { authenticateApiKey, looksLikeApiKey, scopesForRole, type ApiKeyPrincipal, type ApiKeyScope } from '@/server/services/keys';
import { authThrottleConfig } from './limits';
import { sessionUser } from './session';

/** How a request proved who it is. `bearer` is an access token from POST /api/v1/auth/token. */
export type AuthMethod = 'session' | 'bearer' | 'api_key';

/** The caller of a request and what it may do. */
export interface Principal {
  user: AuthUser;
  authMethod: AuthMethod;
  /** An API key's own scopes; for a session or an access token, every scope of the user's role. */
  scopes: ApiKeyScope[];
  /** Set when the caller used an API key. */
  apiKey: ApiKeyPrincipal['key'] | null;
}

/** `null`: no credential at all. `{ error }`: a credential that was refused, with why; with `retryAfterSeconds` it was throttled (429). */
export type Authentication = Principal | { error: string; retryAfterSeconds?: number } | null;

/**
 * The one place a request is authenticated, for REST and tRPC alike:
 * `Authorization: Bearer cb_…` is an API key, any other bearer value an access token; without the
 * header, the browser's session cookie. Every path checks the user's session version or the key's state.
 */
export async function authenticateRequest(db: Db, req: Request, ip: string | null): Promise<Authentication> {
  const header = req.headers.get('authorization');
  if (header) {
    const credential = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    if (!credential) return { error: 'the Authorization header must be "Bearer <access token or API key>"' };
    if (looksLikeApiKey(credential)) {
      const check = await authenticateApiKey(db, credential, { ip, throttle: authThrottleConfig() });
      if (!check.ok) return { error: check.message, ...(check.retryAfterSeconds ? { retryAfterSeconds: check.retryAfterSeconds } : {}) };
      return { user: check.principal.user, authMethod: 'api_key', scopes: check.principal.key.scopes, apiKey: check.principal.key };
    }
    const user = await verifyAccessToken(db, credential, { secret: getEnv().NEXTAUTH_SECRET });
    if (!user) return { error: 'invalid or expired access token' };
    return { user, authMethod: 'bearer', scopes: scopesForRole(user.role), apiKey: null };
  }
  const user = await sessionUser(db);
  return user ? { user, authMethod: 'session', scopes: scopesForRole(user.role), apiKey: null } : null;
}
