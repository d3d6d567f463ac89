import type { z } from 'zod';
import { getDatabase, type Db } from '@/db/client';
import { AppError } from '@/server/core/errors';
import { textProblem } from '@/server/core/text';
import { envVariable } from '@/server/env';
import { authenticateRequest, type AuthMethod, type Principal } from '@/server/auth/credentials';
import type { AuthUser } from '@/server/services/auth/users';
import { hasScope, requiredScope, rotationHeaders, type ApiKeyScope } from '@/server/services/keys';
import { assertDeclaredBodySize, readBodyText, type BodyClass } from './body-limit';
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
  authMethod: AuthMethod;
  /** What the credential may do (see requiredScope); already checked against the route before the handler runs. */
  scopes: ApiKeyScope[];
  /** Set when the caller used an API key. */
  apiKey: Principal['apiKey'];
}

export interface WithPublicOptions {
  /** The body size class (server/api/body-limit.ts): `json` (default) or `upload` for candle uploads. */
  body?: BodyClass;
  /** Logged instead of the request's path when it fails: the route's pattern, for a path that carries a secret (signal webhooks). */
  logRoute?: string;
}

export interface WithUserOptions extends WithPublicOptions {
  /** Admin-only: needs an admin account and, for an API key, the `admin` scope. */
  admin?: boolean;
  /** Overrides the scope the method implies (GET/HEAD → read, anything else → trade). */
  scope?: ApiKeyScope;
}

type RouteParams = Record<string, string | string[]>;
type NextRouteContext<P> = { params: Promise<P> };
type Handler<C> = (ctx: C) => Promise<Response>;

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return Response.json(body, { status, headers: { 'Cache-Control': 'no-store', ...headers } });
}

/** A response body that does not match the route's declared schema: our bug, so an opaque 500 with a logged id, never a 422. */
export class ResponseShapeError extends Error {
  constructor(readonly issues: string[]) {
    super(`the response does not match its declared schema: ${issues.join('; ')}`);
    this.name = 'ResponseShapeError';
  }
}

/**
 * The JSON response of a REST route, checked first against the route's declared output schema, as tRPC's
 * `.output()` checks a procedure's result (the same schemas: server/api/schemas). The body is sent as
 * given, unknown keys included, so a valid answer is byte-for-byte what `json` would send.
 *
 *   // GET /api/v1/orders/{id} – one order with its fills and events
 *   export const GET = withUser(async ({ db, user, params }) => reply(ZOrderDetailResponseSchema, await getOrder(db, user.id, params.id)));
 */
export function reply<S extends z.ZodType>(schema: S, body: z.input<S>, status = 200, headers: Record<string, string> = {}): Response {
  const checked = schema.safeParse(body);
  if (!checked.success) throw new ResponseShapeError(checked.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`));
  return json(body, status, headers);
}

export function errorResponse(error: unknown, context: Record<string, unknown> = {}): Response {
  const { appError, errorId } = toAppError(error, context);
  if (!appError) return json({ error: { code: 'INTERNAL', message: `internal error (id ${errorId})`, errorId } }, 500);
  const headers: Record<string, string> = {};
  if (appError.details?.retryAfterSeconds) headers['Retry-After'] = String(appError.details.retryAfterSeconds);
  return json(
    { error: { code: appError.code, message: appError.message, ...(appError.details ? { details: appError.details } : {}) } },
    ERROR_MAP[appError.code].http,
    headers,
  );
}

/** The client's address as the proxy reports it; at most 64 characters (an IPv6 address is at most 45), so a forged header cannot bloat the throttles or the audit log. */
export function clientIp(req: Request): string | null {
  const forwarded = req.headers.get('x-forwarded-for');
  return (forwarded?.split(',')[0]?.trim() || req.headers.get('x-real-ip') || null)?.slice(0, 64) || null;
}

/** The body size class of each request a REST wrapper handles (set by withPublic, read by readJson). */
const bodyClasses = new WeakMap<Request, BodyClass>();

/**
 * Only the exact media type `application/json` (parameters such as charset allowed) is JSON: lookalikes
 * such as `application/jsonp` or `text/plain; x=application/json` are 415.
 */
function assertJsonMediaType(req: Request): void {
  if (mediaType(req.headers.get('content-type')) === 'application/json') return;
  const sent = req.headers.get('content-type');
  throw new AppError(
    'UNSUPPORTED_MEDIA_TYPE',
    `the body must be JSON: send Content-Type: application/json (got ${sent === null ? 'none' : JSON.stringify(sent.slice(0, 100))})`,
  );
}

function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError('BAD_REQUEST', 'the body is not valid JSON');
  }
}

/**
 * Parses and validates a JSON body; a body over the route's size limit is 413 (read no further than the
 * limit), another media type 415, bad JSON 400, a bad field 422 naming it.
 */
export async function readJson<S extends z.ZodType>(req: Request, schema: S): Promise<z.infer<S>> {
  assertJsonMediaType(req);
  return parseInput(schema, parseJsonText(await readBodyText(req, bodyClasses.get(req) ?? 'json')));
}

/** Like readJson, but an empty body (no content) is `{}`: for POST actions whose options are all optional. */
export async function readOptionalJson<S extends z.ZodType>(req: Request, schema: S): Promise<z.infer<S>> {
  const text = await readBodyText(req, bodyClasses.get(req) ?? 'json');
  if (text.trim() === '') return parseInput(schema, {});
  assertJsonMediaType(req);
  return parseInput(schema, parseJsonText(text));
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
  // Next passes a context to every route handler; its params are undefined for a route without segments.
  return { db: getDatabase().db, req, params: (route ? await route.params : undefined) ?? ({} as P), ip: clientIp(req) };
}

/**
 * Path and query parameters obey the text rule of every input (server/core/text.ts): a control character
 * or an unpaired surrogate is a 422 naming the parameter, whatever the route does with it.
 */
function assertSafeParameters(req: Request, params: RouteParams): void {
  const fields: { field: string; message: string }[] = [];
  for (const [name, value] of Object.entries(params)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      const message = textProblem(item);
      if (message) fields.push({ field: name, message });
    }
  }
  for (const [name, value] of new URL(req.url).searchParams) {
    const message = textProblem(name) ? `has a name that ${textProblem(name)}` : textProblem(value);
    if (message) fields.push({ field: textProblem(name) ? '(query)' : name, message });
  }
  if (fields.length) throw AppError.validation(fields);
}

/** A route anyone may call. `body: 'upload'` for the few routes that take large bodies (candle uploads). */
export function withPublic<P extends RouteParams = Record<string, never>>(handler: Handler<RestContext<P>>, options: WithPublicOptions = {}) {
  return async (req: Request, route?: NextRouteContext<P>): Promise<Response> => {
    try {
      // Before anything else, authentication included: an oversized body is refused unread.
      const bodyClass = options.body ?? 'json';
      assertDeclaredBodySize(req, bodyClass);
      bodyClasses.set(req, bodyClass);
      const ctx = await baseContext(req, route);
      assertSafeParameters(req, ctx.params as RouteParams);
      return await handler(ctx);
    } catch (error) {
      return errorResponse(error, { method: req.method, url: options.logRoute ?? new URL(req.url).pathname });
    }
  };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A route for a signed-in caller: `Authorization: Bearer <API key or access token>`, or the browser's
 * session cookie. Scopes are enforced here, once, for every route: reads need `read`, writes `trade`,
 * admin-only routes `admin` plus an admin account (sessions and access tokens carry every scope of the
 * user's role). Cookie-authenticated writes must come from our own origin. Responses to API-key requests
 * say when the key stops and whether a successor waits (`Cryptobot-Key-Expires`, `Cryptobot-Key-Rotation`).
 *
 *   // POST /api/v1/orders – place an order          (needs trade)
 *   export const POST = withUser(async ({ db, user, req }) => ..., {});
 *   // POST /api/v1/market-data/candles – admin only   (needs admin scope + admin role)
 *   export const POST = withUser(handler, { admin: true });
 */
export function withUser<P extends RouteParams = Record<string, never>>(handler: Handler<UserRestContext<P>>, options: WithUserOptions = {}) {
  return withPublic<P>(async (ctx) => {
    const auth = await authenticateRequest(ctx.db, ctx.req, ctx.ip);
    if (!auth) throw new AppError('UNAUTHORIZED', 'sign in, or send Authorization: Bearer <access token or API key>');
    if ('error' in auth)
      throw new AppError(
        auth.retryAfterSeconds ? 'TOO_MANY_REQUESTS' : 'UNAUTHORIZED',
        auth.error,
        auth.retryAfterSeconds ? { retryAfterSeconds: auth.retryAfterSeconds } : undefined,
      );
    const extraHeaders = auth.apiKey ? rotationHeaders(auth.apiKey) : {};
    try {
      if (auth.authMethod === 'session' && !SAFE_METHODS.has(ctx.req.method)) assertSameOrigin(ctx.req);
      assertAllowed(auth, requiredScope({ method: ctx.req.method, admin: options.admin }), options);
      return withHeaders(await handler({ ...ctx, user: auth.user, authMethod: auth.authMethod, scopes: auth.scopes, apiKey: auth.apiKey }), extraHeaders);
    } catch (error) {
      return withHeaders(errorResponse(error, { method: ctx.req.method, url: new URL(ctx.req.url).pathname, userId: auth.user.id }), extraHeaders);
    }
  }, options);
}

/** Refuses a principal without the scope (or, for admin routes, without an admin account). Shared with tRPC. */
export function assertAllowed(principal: Pick<Principal, 'user' | 'scopes' | 'authMethod'>, implied: ApiKeyScope, options: WithUserOptions = {}): void {
  if (options.admin && principal.user.role !== 'admin') throw new AppError('FORBIDDEN', 'this needs an admin account');
  const needed = options.admin ? 'admin' : (options.scope ?? implied);
  if (!hasScope(principal.scopes, needed)) {
    throw new AppError('FORBIDDEN', `this API key lacks the "${needed}" scope (it has: ${principal.scopes.join(', ') || 'none'})`, { requiredScope: needed });
  }
}

function withHeaders(response: Response, headers: Record<string, string>): Response {
  const entries = Object.entries(headers);
  if (!entries.length) return response;
  try {
    for (const [name, value] of entries) response.headers.set(name, value);
    return response;
  } catch {
    // Immutable headers (e.g. Response.redirect): copy.
    const copy = new Response(response.body, response);
    for (const [name, value] of entries) copy.headers.set(name, value);
    return copy;
  }
}

/** The essence of a Content-Type header ("application/json; charset=utf-8" → "application/json"). */
function mediaType(header: string | null): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

function originHost(origin: string): string | null {
  if (origin === 'null') return null;
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return null;
  }
}

/**
 * CSRF defence for cookie-authenticated writes (REST and tRPC mutations). A cross-site page can make the
 * browser send our cookie (SameSite=Lax still allows some top-level navigations) but cannot:
 *   - make a modern browser send Sec-Fetch-Site other than its truth (cross-site / same-site is refused),
 *   - forge the Origin header (present on every cross-origin POST; "null" from sandboxes is refused),
 *   - send Content-Type: application/json without a CORS preflight we never grant (form posts and
 *     `text/plain; x=application/json` tricks are refused: only the exact media type passes).
 * Bodiless DELETEs need no content type (a cross-site DELETE needs a preflight anyway).
 */
export function assertSameOrigin(req: Request): void {
  const refuse = (why: string) => new AppError('FORBIDDEN', `cross-site request refused: ${why}`);
  const fetchSite = req.headers.get('sec-fetch-site');
  if (fetchSite && fetchSite !== 'same-origin' && fetchSite !== 'none') throw refuse(`Sec-Fetch-Site is ${fetchSite}`);
  const origin = req.headers.get('origin');
  if (origin !== null) {
    const from = originHost(origin);
    const allowed = new Set<string>();
    const host = req.headers.get('x-forwarded-host') ?? req.headers.get('host');
    if (host) allowed.add(host.split(',')[0]!.trim().toLowerCase());
    const publicUrl = envVariable('NEXTAUTH_URL');
    if (publicUrl) {
      const h = originHost(publicUrl);
      if (h) allowed.add(h);
    }
    if (!from || !allowed.has(from)) throw refuse('the Origin is not this site');
  }
  const length = req.headers.get('content-length');
  const bodiless = req.method === 'DELETE' && (!length || length === '0') && !req.headers.get('content-type');
  if (!bodiless && mediaType(req.headers.get('content-type')) !== 'application/json') throw refuse('the body must be application/json');
}
