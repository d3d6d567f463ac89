import type { z } from 'zod';
import { getDatabase, type Db } from '@/db/client';
import { AppError } from '@/server/core/errors';
import { getEnv } from '@/server/env';
import { sessionUser } from '@/server/auth/session';
import { verifyAccessToken } from '@/server/services/auth/tokens';
import type { AuthUser } from '@/server/services/auth/users';
import { ERROR_MAP, toAppError, zodFieldIssues } from './errors';

/** Everything a REST handler gets: the database, the request, its route params and (for withUser) the user. */
export interface RestContext<P> {
  db: Db;
  req: Request;
  params: P;
  ip: string | null;
}
export interface UserRestContext<P> extends RestContext<P> {
  user: AuthUser;
  authMethod: 'bearer' | 'session';
}

type RouteParams = Record<string, string | string[]>;
type NextRouteContext<P> = { params: Promise<P> };
type Handler<C> = (ctx: C) => Promise<Response>;

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return Response.json(body, { status, headers: { 'Cache-Control': 'no-store', ...headers } });
}

export function errorResponse(error: unknown, context: Record<string, unknown> = {}): Response {
  const { appError, errorId } = toAppError(error, context);
  if (!appError) return json({ error: { code: 'INTERNAL', message: `internal error (id ${errorId})`, errorId } }, 500);
  const headers: Record<string, string> = {};
  if (appError.details?.retryAfterSeconds) headers['Retry-After'] = String(appError.details.retryAfterSeconds);
  return json({ error: { code: appError.code, message: appError.message, ...(appError.details ? { details: appError.details } : {}) } }, ERROR_MAP[appError.code].http, headers);
}

export function clientIp(req: Request): string | null {
  const forwarded = req.headers.get('x-forwarded-for');
  return forwarded?.split(',')[0]?.trim() || req.headers.get('x-real-ip') || null;
}

/** Parses and validates a JSON body; a bad body is 400, a bad field 422 naming it. */
export async function readJson<S extends z.ZodType>(req: Request, schema: S): Promise<z.infer<S>> {
  const type = req.headers.get('content-type') ?? '';
  if (!type.toLowerCase().includes('application/json')) throw new AppError('BAD_REQUEST', 'the body must be JSON (Content-Type: application/json)');
  let body: unknown;
  try {
    body = await req.json();
  } catch {
    throw new AppError('BAD_REQUEST', 'the body is not valid JSON');
  }
  return parseInput(schema, body);
}

export function parseInput<S extends z.ZodType>(schema: S, value: unknown, prefix?: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw AppError.validation(zodFieldIssues(result.error, prefix));
  return result.data;
}

/** Query string parameters as a plain object (last value wins), for validation with a zod schema. */
export function searchParams(req: Request): Record<string, string> {
  return Object.fromEntries(new URL(req.url).searchParams.entries());
}

async function baseContext<P>(req: Request, route: NextRouteContext<P> | undefined): Promise<RestContext<P>> {
  return { db: getDatabase().db, req, params: route ? await route.params : ({} as P), ip: clientIp(req) };
}

/** A route anyone may call. */
export function withPublic<P extends RouteParams = Record<string, never>>(handler: Handler<RestContext<P>>) {
  return async (req: Request, route?: NextRouteContext<P>): Promise<Response> => {
    try {
      return await handler(await baseContext(req, route));
    } catch (error) {
      return errorResponse(error, { method: req.method, url: new URL(req.url).pathname });
    }
  };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A route for a signed-in user: `Authorization: Bearer <access token>`, or the browser's session
 * cookie. Cookie-authenticated writes must come from our own origin (a cross-site form post cannot).
 */
export function withUser<P extends RouteParams = Record<string, never>>(handler: Handler<UserRestContext<P>>, options: { admin?: boolean } = {}) {
  return withPublic<P>(async (ctx) => {
    const { user, authMethod } = await authenticate(ctx.db, ctx.req);
    if (authMethod === 'session' && !SAFE_METHODS.has(ctx.req.method)) assertSameOrigin(ctx.req);
    if (options.admin && user.role !== 'admin') throw new AppError('FORBIDDEN', 'this needs an admin account');
    return handler({ ...ctx, user, authMethod });
  });
}

async function authenticate(db: Db, req: Request): Promise<{ user: AuthUser; authMethod: 'bearer' | 'session' }> {
  const header = req.headers.get('authorization');
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) throw new AppError('UNAUTHORIZED', 'the Authorization header must be "Bearer <token>"');
    const user = await verifyAccessToken(db, match[1], { secret: getEnv().NEXTAUTH_SECRET });
    if (!user) throw new AppError('UNAUTHORIZED', 'invalid or expired access token');
    return { user, authMethod: 'bearer' };
  }
  const user = await sessionUser(db);
  if (!user) throw new AppError('UNAUTHORIZED', 'sign in, or send Authorization: Bearer <token>');
  return { user, authMethod: 'session' };
}

export function assertSameOrigin(req: Request): void {
  const origin = req.headers.get('origin');
  const host = req.headers.get('x-forwarded-host') ?? req.headers.get('host');
  const contentType = req.headers.get('content-type') ?? '';
  const crossSite = origin !== null && (!host || new URL(origin).host !== host);
  if (crossSite || (req.method !== 'DELETE' && !contentType.toLowerCase().includes('application/json'))) {
    throw new AppError('FORBIDDEN', 'cross-site request refused');
  }
}
