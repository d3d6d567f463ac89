/**
 * The OpenAPI 3.1 document of the REST API, generated from the route contract (./routes.ts), which names the
 * zod schemas the handlers validate with. Served at GET /api/v1/openapi.json and rendered at /docs/api.
 */
import { OpenApiGeneratorV31, OpenAPIRegistry, type ResponseConfig, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { ERROR_MAP } from '@/server/api/errors';
import { ROUTES, type RouteContract } from './routes';

/** `{"error": {"code", "message", "details?"}}`: every refusal, REST-wide (docs/api.md, "Errors"). */
export const ZErrorResponseSchema = z
  .object({
    error: z.object({
      code: z.enum([...(Object.keys(ERROR_MAP) as [keyof typeof ERROR_MAP, ...(keyof typeof ERROR_MAP)[]]), 'INTERNAL']),
      message: z.string(),
      details: z
        .object({
          fields: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
          requiredScope: z.string().optional(),
          retryAfterSeconds: z.number().optional(),
        })
        .meta({ description: 'fields: each bad input by its path (422); requiredScope (403); retryAfterSeconds (429, 503); other keys per route' })
        .optional(),
      errorId: z.string().optional().meta({ description: 'a 500: the id under which the server logged it' }),
    }),
  })
  .meta({
    id: 'Error',
    example: {
      error: {
        code: 'UNPROCESSABLE',
        message: 'invalid input: feeRate: feeRate must be at most 0.1',
        details: { fields: [{ field: 'feeRate', message: 'feeRate must be at most 0.1' }] },
      },
    },
  });

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'malformed body (not JSON), or a request this credential cannot make',
  401: 'missing, invalid, expired or revoked credential (the message says which)',
  403: 'missing scope (`details.requiredScope`), not an admin, or a cross-site request',
  404: 'not found (also for another user’s resources)',
  409: 'conflicts with the resource’s state',
  413: 'body over the route’s size limit',
  415: 'body not application/json',
  422: 'a bad field, named in `details.fields`',
  429: 'too many requests; see Retry-After',
  500: 'internal error, with the id it was logged under',
  503: 'the database or the exchange is unavailable for now; see Retry-After',
};

/** The error statuses a route may answer: those of its kind (auth, body, path) plus its own. */
export function errorStatuses(route: RouteContract): number[] {
  const statuses = new Set<number>([422, 500, 503, ...(route.errors ?? [])]);
  // Signed in: a credential problem, a missing scope, a throttle, and an id (in the path, the query or the body) that is not yours.
  if (route.access !== 'public') [401, 403, 404, 429].forEach((s) => statuses.add(s));
  // A write: its declared size is checked before anything else, and it may meet a state it cannot change.
  if (route.method !== 'get') statuses.add(413);
  if (route.method !== 'get' && route.access !== 'public') statuses.add(409);
  if (route.body) [400, 413, 415].forEach((s) => statuses.add(s));
  if (route.params) statuses.add(404);
  return [...statuses].sort((a, b) => a - b);
}

const SECURITY: Record<string, string[]>[] = [{ accessToken: [] }, { apiKey: [] }, { session: [] }];

const KEY_HEADERS = {
  'Cryptobot-Key-Expires': { description: 'With an API key: when this key stops (ISO 8601 UTC)', schema: { type: 'string' as const, format: 'date-time' } },
  'Cryptobot-Key-Rotation': {
    description: 'With an API key: `successor-pending; fetch=/api/v1/keys/current/rotate` or `rotated`',
    schema: { type: 'string' as const },
  },
};

/** One operation of the document. */
export function toRouteConfig(route: RouteContract): RouteConfig {
  const responses: Record<string, ResponseConfig> = {};
  for (const [status, answer] of Object.entries(route.responses)) {
    responses[status] = {
      description: answer!.description,
      headers: {
        ...(route.access === 'public' ? {} : KEY_HEADERS),
        ...Object.fromEntries(Object.entries(route.headers ?? {}).map(([name, description]) => [name, { description, schema: { type: 'string' as const } }])),
      },
      content: { 'application/json': { schema: answer!.schema } },
    };
  }
  for (const status of errorStatuses(route)) {
    responses[String(status)] = {
      description: ERROR_DESCRIPTIONS[status] ?? 'error',
      ...(status === 429 || status === 503 ? { headers: { 'Retry-After': { description: 'seconds to wait', schema: { type: 'integer' } } } } : {}),
      content: { 'application/json': { schema: ZErrorResponseSchema } },
    };
  }
  const scopeNote =
    route.access === 'public'
      ? 'No credential needed.'
      : route.access === 'admin'
        ? 'Admin accounts only; an API key needs the `admin` scope.'
        : route.access === 'read' || route.method === 'get'
          ? 'Needs the `read` scope.'
          : 'Needs the `trade` scope.';
  const sunsetNote = route.deprecated
    ? `Deprecated since ${route.deprecated.since.toISOString()}; may stop working after ${route.deprecated.sunset.toISOString()}${route.deprecated.link ? `: use ${route.deprecated.link}` : ''}.`
    : undefined;
  return {
    method: route.method,
    path: route.path,
    operationId: operationId(route),
    tags: [route.tag],
    summary: route.summary,
    description: [sunsetNote, route.description, scopeNote].filter(Boolean).join('\n\n'),
    ...(route.deprecated ? { deprecated: true } : {}),
    security: route.access === 'public' ? [] : SECURITY,
    request: {
      ...(route.params ? { params: route.params } : {}),
      ...(route.query ? { query: route.query } : {}),
      ...(route.body
        ? {
            body: {
              required: !route.bodyOptional,
              content: { 'application/json': { schema: route.body, ...(route.bodyExample !== undefined ? { example: route.bodyExample } : {}) } },
            },
          }
        : {}),
    },
    responses,
  };
}

/** `GET /api/v1/keys/{id}` → `getKeysById`: stable, unique, readable in the reference page's links. */
export function operationId(route: Pick<RouteContract, 'method' | 'path'>): string {
  const words = route.path
    .replace(/^\/api\/v1\//, '')
    .split(/[/-]/)
    .filter(Boolean)
    .map((part) => (part.startsWith('{') ? `by ${part.slice(1, -1)}` : part))
    .join(' ')
    .split(' ');
  return route.method + words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

type GeneratedDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;
/** The document, with the paths it always has. */
export type OpenApiDocument = GeneratedDocument & { paths: NonNullable<GeneratedDocument['paths']> };

let cached: OpenApiDocument | null = null;

export function openApiDocument(): OpenApiDocument {
  if (cached) return cached;
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'accessToken', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'An access token from POST /api/v1/auth/token (15 minutes); every scope of the user’s role.',
  });
  registry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'cb_…',
    description: 'An API key (`Authorization: Bearer cb_…`), limited to its own scopes: `read`, `trade`, `admin`.',
  });
  registry.registerComponent('securitySchemes', 'session', {
    type: 'apiKey',
    in: 'cookie',
    name: 'next-auth.session-token',
    description: 'The browser session of the web app (`__Secure-next-auth.session-token` over https); writes must come from the same origin.',
  });
  for (const route of ROUTES) registry.registerPath(toRouteConfig(route));
  const document = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Cryptobot API',
      version: '1',
      description:
        'REST under /api/v1. Types (docs/api.md): money and quantities are decimal strings out, a JSON number or a decimal string in; times are ISO 8601 UTC out, ISO 8601 or epoch milliseconds in. Errors are `{"error": {"code", "message", "details?"}}`. Within v1 changes are additive only; see docs/api.md, "Stability".',
    },
    servers: [{ url: '/' }],
    tags: [...new Set(ROUTES.map((r) => r.tag))].map((name) => ({ name })),
  });
  cached = { ...document, paths: document.paths ?? {} };
  return cached;
}
