import { AppError } from '@/server/core/errors';
import { getEnv } from '@/server/env';

/**
 * Request body limits, per route class (docs/security.md):
 *   - `json`: every JSON API body (REST, tRPC, the sign-in form), `CRYPTOBOT_MAX_BODY_BYTES`, default 64 KiB;
 *   - `upload`: candle uploads (POST /api/v1/market-data/candles and /files, and their tRPC procedures),
 *     `CRYPTOBOT_MAX_UPLOAD_BYTES`, default 65 MiB (a 64 MiB file plus its JSON wrapping).
 * A body announced larger (Content-Length) is refused with 413 before a byte of it is read; a body without
 * a length (chunked) is read up to the limit and refused there. Nothing reads a whole body unbounded.
 */
export type BodyClass = 'json' | 'upload';

const LIMIT_VARIABLE: Record<BodyClass, 'CRYPTOBOT_MAX_BODY_BYTES' | 'CRYPTOBOT_MAX_UPLOAD_BYTES'> = {
  json: 'CRYPTOBOT_MAX_BODY_BYTES',
  upload: 'CRYPTOBOT_MAX_UPLOAD_BYTES',
};

/** tRPC procedures that take candle uploads: a call (or a batch) of only these gets the upload limit. */
export const TRPC_UPLOAD_PROCEDURES: ReadonlySet<string> = new Set(['marketData.upsertCandles', 'marketData.importFile']);

/** The body class of a tRPC request, from its path (`/api/trpc/a.b` or a batch `/api/trpc/a.b,c.d`). */
export function trpcBodyClass(pathname: string): BodyClass {
  const paths = pathname.replace(/^.*\/api\/trpc\//, '').split(',');
  return paths.every((path) => TRPC_UPLOAD_PROCEDURES.has(path)) ? 'upload' : 'json';
}

/** The most bytes a body of this class may have. */
export function bodyLimitBytes(bodyClass: BodyClass): number {
  return getEnv()[LIMIT_VARIABLE[bodyClass]];
}

function tooLarge(bodyClass: BodyClass, declared: number | null): AppError {
  const limit = bodyLimitBytes(bodyClass);
  const size = declared === null ? `is larger than ${limit.toLocaleString('en-US')} bytes` : `is ${declared.toLocaleString('en-US')} bytes`;
  return new AppError(
    'PAYLOAD_TOO_LARGE',
    `the request body ${size}; this route accepts at most ${limit.toLocaleString('en-US')} bytes (${LIMIT_VARIABLE[bodyClass]})`,
    {
      limitBytes: limit,
    },
  );
}

/** Refuses a body whose declared Content-Length is over the class's limit, without reading it. */
export function assertDeclaredBodySize(req: Request, bodyClass: BodyClass): void {
  const header = req.headers.get('content-length');
  if (header === null) return;
  const declared = Number(header);
  if (Number.isFinite(declared) && declared > bodyLimitBytes(bodyClass)) throw tooLarge(bodyClass, declared);
}

/**
 * The body's bytes, at most the class's limit: a larger declared length is refused before reading, a
 * longer stream as soon as it passes the limit. The rest of a refused stream is left unread (cancelling it
 * would reset the connection before the 413 reaches the client).
 */
export async function readBodyBytes(req: Request, bodyClass: BodyClass): Promise<Uint8Array<ArrayBuffer>> {
  assertDeclaredBodySize(req, bodyClass);
  if (!req.body) return new Uint8Array(new ArrayBuffer(0));
  const limit = bodyLimitBytes(bodyClass);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read().catch(() => {
        // The client went away or broke the framing mid-body: its fault, not a server error.
        throw new AppError('BAD_REQUEST', 'the request body could not be read to its end');
      });
      if (done) break;
      total += value.byteLength;
      if (total > limit) throw tooLarge(bodyClass, null);
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  const body = new Uint8Array(new ArrayBuffer(total));
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/** The body as UTF-8 text (invalid sequences become U+FFFD, as Request.text() does), within the limit. */
export async function readBodyText(req: Request, bodyClass: BodyClass): Promise<string> {
  return new TextDecoder().decode(await readBodyBytes(req, bodyClass));
}

/**
 * For handlers we do not own (tRPC's fetch adapter, next-auth): the same request with its body read
 * within the limit, so whatever they read is already bounded. Bodiless methods pass through unchanged.
 */
export async function withBoundedBody(req: Request, bodyClass: BodyClass): Promise<Request> {
  if (req.method === 'GET' || req.method === 'HEAD') return req;
  const body = await readBodyBytes(req, bodyClass);
  const headers = new Headers(req.headers);
  // The body is whole now, whatever framing it arrived in.
  headers.delete('transfer-encoding');
  return new Request(req.url, { method: req.method, headers, body: body.byteLength ? body : null, signal: req.signal });
}
