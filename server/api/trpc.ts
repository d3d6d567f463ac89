/**
 * tRPC setup, in three parts: 1. the context (who is calling), 2. init with the error formatter,
 * 3. the procedures routers build on.
 */
import { initTRPC, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { ZodError } from 'zod';
import { getDatabase, type Db } from '@/db/client';
import { envVariable } from '@/server/env';
import { AppError } from '@/server/core/errors';
import { authenticateRequest, type AuthMethod, type Principal } from '@/server/auth/credentials';
import type { AuthUser } from '@/server/services/auth/users';
import { requiredScope, type ApiKeyScope } from '@/server/services/keys';
import { ERROR_MAP, toAppError, zodFieldIssues } from './errors';
import { assertAllowed, assertSameOrigin, clientIp, type WithUserOptions } from './rest';

// 1. Context ------------------------------------------------------------------------------------
export interface TrpcContext {
  db: Db;
  req: Request | null;
  user: AuthUser | null;
  authMethod: AuthMethod | null;
  /** What the credential may do; every scope of the role for sessions and access tokens. */
  scopes: ApiKeyScope[];
  /** Set when the caller used an API key (the HTTP handler adds its rotation headers to the response). */
  apiKey: Principal['apiKey'];
  /** Why a presented credential was refused (surfaced by protected procedures as UNAUTHORIZED). */
  authError: string | null;
  /** Set when the credential was refused by a throttle: protected procedures answer TOO_MANY_REQUESTS. */
  authRetryAfterSeconds?: number;
  ip: string | null;
}

export async function createTrpcContext(opts: { req: Request }): Promise<TrpcContext> {
  const db = getDatabase().db;
  const ip = clientIp(opts.req);
  let auth;
  try {
    auth = await authenticateRequest(db, opts.req, ip);
  } catch (error) {
    // e.g. the database busy or down: its AppError (503 + Retry-After), not a 500.
    throw toTrpcError(error);
  }
  const base = { db, req: opts.req, ip };
  if (!auth) return { ...base, user: null, authMethod: null, scopes: [], apiKey: null, authError: null };
  if ('error' in auth)
    return { ...base, user: null, authMethod: null, scopes: [], apiKey: null, authError: auth.error, authRetryAfterSeconds: auth.retryAfterSeconds };
  return { ...base, user: auth.user, authMethod: auth.authMethod, scopes: auth.scopes, apiKey: auth.apiKey, authError: null };
}

// 2. Init ---------------------------------------------------------------------------------------
/** Turns AppErrors (and stray zod errors) into TRPCErrors with the mapped code; hides the rest. */
export function toTrpcError(error: unknown): TRPCError {
  if (error instanceof TRPCError) return error;
  const { appError, errorId } = toAppError(error);
  if (!appError) return new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: `internal error (id ${errorId})` });
  return new TRPCError({ code: ERROR_MAP[appError.code].trpc, message: appError.message, cause: appError });
}

/**
 * SSE streams (subscriptions) end after CRYPTOBOT_STREAM_MAX_SECONDS, read per stream: before a serverless
 * platform's function time limit cuts them, so the client reconnects and resumes from its last event id
 * (server/api/routers/events.ts). 0: no limit. A getter, since tRPC reads `maxDurationMs` when a stream opens.
 */
const sse = {
  get maxDurationMs(): number | undefined {
    const seconds = envVariable('CRYPTOBOT_STREAM_MAX_SECONDS');
    return seconds > 0 ? seconds * 1000 : undefined;
  },
};

const t = initTRPC.context<TrpcContext>().create({
  transformer: superjson,
  sse,
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    const fields = cause instanceof ZodError ? zodFieldIssues(cause) : cause instanceof AppError ? cause.details?.fields : undefined;
    const { stack: _stack, ...data } = shape.data;
    return {
      ...shape,
      message: cause instanceof ZodError ? `invalid input: ${(fields ?? []).map((f) => `${f.field}: ${f.message}`).join('; ')}` : shape.message,
      data: { ...data, appCode: cause instanceof AppError ? cause.code : cause instanceof ZodError ? 'UNPROCESSABLE' : undefined, fields: fields ?? null },
    };
  },
});

// 3. Procedures ---------------------------------------------------------------------------------
export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

const errorMapping = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const cause = result.error.cause ?? result.error;
    if (result.error.code === 'INTERNAL_SERVER_ERROR' || cause instanceof AppError) (result as { error: TRPCError }).error = toTrpcError(cause);
  }
  return result;
});

export const publicProcedure = t.procedure.use(errorMapping);

const asTrpc = (error: unknown): TRPCError => toTrpcError(error);

/**
 * A signed-in caller with the scope the procedure needs. Queries and subscriptions need `read`, mutations
 * `trade` (`scope` overrides); the context's user is non-null from here on. Cookie-authenticated mutations
 * must be same-origin JSON (CSRF).
 */
function authorized(options: WithUserOptions = {}) {
  return publicProcedure.use(({ ctx, type, next }) => {
    if (!ctx.user && ctx.authError && ctx.authRetryAfterSeconds)
      throw asTrpc(new AppError('TOO_MANY_REQUESTS', ctx.authError, { retryAfterSeconds: ctx.authRetryAfterSeconds }));
    if (!ctx.user) throw new TRPCError({ code: 'UNAUTHORIZED', message: ctx.authError ?? 'sign in, or send Authorization: Bearer <access token or API key>' });
    if (type === 'mutation' && ctx.authMethod === 'session' && ctx.req) {
      try {
        assertSameOrigin(ctx.req);
      } catch (error) {
        throw asTrpc(error);
      }
    }
    try {
      assertAllowed(
        { user: ctx.user, scopes: ctx.scopes, authMethod: ctx.authMethod ?? 'session' },
        requiredScope({ trpcType: type, admin: options.admin }),
        options,
      );
    } catch (error) {
      throw asTrpc(error);
    }
    return next({ ctx: { ...ctx, user: ctx.user, authMethod: ctx.authMethod ?? 'session' } });
  });
}

/** Queries need the `read` scope, mutations `trade`. */
export const protectedProcedure = authorized();

/** Admin-only: an admin account and, for an API key, the `admin` scope. */
export const adminProcedure = authorized({ admin: true });

/** For the rare procedure whose scope is not the one its type implies (e.g. a key fetching its own successor needs only `read`). */
export const scopedProcedure = (scope: ApiKeyScope) => authorized({ scope });
