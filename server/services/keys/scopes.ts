import { API_KEY_SCOPES, type ApiKeyScope, type UserRole } from '@/db/schema';

export { API_KEY_SCOPES, type ApiKeyScope };

/** Scopes are nested: admin ⊃ trade ⊃ read. A key stores the expanded set. */
const IMPLIED: Record<ApiKeyScope, ApiKeyScope[]> = { read: ['read'], trade: ['read', 'trade'], admin: ['read', 'trade', 'admin'] };

export function expandScopes(scopes: readonly ApiKeyScope[]): ApiKeyScope[] {
  const set = new Set(scopes.flatMap((s) => IMPLIED[s]));
  return API_KEY_SCOPES.filter((s) => set.has(s));
}

/** A browser session or an access token carries every scope of its user's role. */
export function scopesForRole(role: UserRole): ApiKeyScope[] {
  return role === 'admin' ? ['read', 'trade', 'admin'] : ['read', 'trade'];
}

/**
 * The scope a request needs: admin-only routes need `admin`; reads (GET, HEAD, OPTIONS, tRPC queries and
 * subscriptions) need `read`; anything else (POST, PUT, PATCH, DELETE, tRPC mutations) needs `trade`.
 */
export function requiredScope(kind: { method?: string; trpcType?: 'query' | 'mutation' | 'subscription'; admin?: boolean }): ApiKeyScope {
  if (kind.admin) return 'admin';
  if (kind.trpcType) return kind.trpcType === 'mutation' ? 'trade' : 'read';
  return ['GET', 'HEAD', 'OPTIONS'].includes((kind.method ?? 'GET').toUpperCase()) ? 'read' : 'trade';
}

export const hasScope = (granted: readonly ApiKeyScope[], needed: ApiKeyScope): boolean => granted.includes(needed);
