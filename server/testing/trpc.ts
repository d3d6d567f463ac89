import { createCallerFactory, createTRPCRouter, type TrpcContext } from '@/server/api/trpc';
import type { Db } from '@/db/client';
import { findUserById } from '@/server/services/auth/users';
import type { ApiKeyScope } from '@/server/services/keys';

export interface CallerOptions {
  /** default ['read', 'trade'] */
  scopes?: ApiKeyScope[];
  /** default 'api_key' */
  authMethod?: TrpcContext['authMethod'];
}

/**
 * A tRPC caller over `routers` for router tests: the calls run as `userId`, signed in the way `options` says,
 * through every middleware (auth, scopes, error mapping) exactly as a client's would.
 */
export function routerCaller<R extends Parameters<typeof createTRPCRouter>[0]>(routers: R) {
  const createCaller = createCallerFactory(createTRPCRouter(routers));
  return async (db: Db, userId: string, options: CallerOptions = {}) => {
    const user = await findUserById(db, userId);
    const ctx: TrpcContext = {
      db,
      req: null,
      user,
      authMethod: options.authMethod ?? 'api_key',
      scopes: options.scopes ?? ['read', 'trade'],
      apiKey: null,
      authError: null,
      ip: null,
    };
    return createCaller(ctx);
  };
}
