/**
 * tRPC setup, in three parts: 1. the context (who is calling), 2. init with the error formatter,
 * 3. the procedures routers build on.
 */
import { initTRPC, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { ZodError } from 'zod';
import { getDatabase, type Db } from '@/db/client';
import { AppError } from '@/server/core/errors';
import { getEnv } from '@/server/env';
import { verifyAccessToken } from '@/server/services/auth/tokens';
import type { AuthUser } from '@/server/services/auth/users';
import { ERROR_MAP, toAppError, zodFieldIssues } from './errors';
import { sessionUser } from '@/server/auth/session';
import { assertSameOrigin, clientIp } from './rest';

// 1. Context ------------------------------------------------------------------------------------
export interface TrpcContext {
  db: Db;
  req: Request | null;
  user: AuthUser | null;
  authMethod: 'bearer' | 'session' | null;
  ip: string | null;
}

export async function createTrpcContext(opts: { req: Request }): Promise<TrpcContext> {
  const db = getDatabase().db;
  const header = opts.req.headers.get('authorization');
  const ip = clientIp(opts.req);
  if (header) {
    const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    const user = token ? await verifyAccessToken(db, token, { secret: getEnv().NEXTAUTH_SECRET }) : null;
    return { db, req: opts.req, user, authMethod: user ? 'bearer' : null, ip };
  }
  const user = await sessionUser(db);
  return { db, req: opts.req, user, authMethod: user ? 'session' : null, ip };
}

// 2. Init ---------------------------------------------------------------------------------------
/** Turns AppErrors (and stray zod errors) into TRPCErrors with the mapped code; hides the rest. */
function toTrpcError(error: unknown): TRPCError {
  if (error instanceof TRPCError) return error;
  const { appError, errorId } = toAppError(error);
  if (!appError) return new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: `internal error (id ${errorId})` });
  return new TRPCError({ code: ERROR_MAP[appError.code].trpc, message: appError.message, cause: appError });
}

const t = initTRPC.context<TrpcContext>().create({
  transformer: superjson,
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

/** A signed-in user; the context's user is non-null from here on. Cookie-authenticated mutations must be same-origin. */
export const protectedProcedure = publicProcedure.use(({ ctx, type, next }) => {
  if (!ctx.user) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'sign in, or send Authorization: Bearer <token>' });
  if (type === 'mutation' && ctx.authMethod === 'session' && ctx.req) {
    try {
      assertSameOrigin(ctx.req);
    } catch {
      throw new TRPCError({ code: 'FORBIDDEN', message: 'cross-site request refused' });
    }
  }
  return next({ ctx: { ...ctx, user: ctx.user } });
});

export const adminProcedure = protectedProcedure.use(({ ctx, next }) => {
  if (ctx.user.role !== 'admin') throw new TRPCError({ code: 'FORBIDDEN', message: 'this needs an admin account' });
  return next();
});
