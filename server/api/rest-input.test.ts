import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { POST as token } from '@/app/api/v1/auth/token/route';
import { GET as getOrder } from '@/app/api/v1/orders/[id]/route';
import { getDatabase } from '@/db/client';
import { safeText } from '@/server/core/text';
import { bodyLimitBytes, trpcBodyClass } from './body-limit';
import { readJson, readOptionalJson, withPublic } from './rest';

/** What every REST route does with its input before a handler runs: size limit, media type, text rule. */
afterAll(() => getDatabase().close());

const URL_BASE = 'http://localhost/api/v1/auth/token';

function post(body: BodyInit, headers: Record<string, string> = { 'content-type': 'application/json' }): Request {
  return new Request(URL_BASE, { method: 'POST', headers, body, duplex: 'half' } as RequestInit);
}

/** A body stream that counts what was pulled from it; endless unless `total` is given. */
function countingStream(chunkBytes: number, total = Infinity) {
  const pulled = { bytes: 0 };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled.bytes >= total) return controller.close();
      pulled.bytes += chunkBytes;
      controller.enqueue(new Uint8Array(chunkBytes).fill(0x20));
    },
  });
  return { stream, pulled };
}

async function errorOf(response: Response) {
  return ((await response.json()) as { error: { code: string; message: string; details?: { fields?: { field: string; message: string }[] } } }).error;
}

describe('bad text is a 422 naming the field, never a 500', () => {
  it.each([
    ['NUL', '{"username":"alice\\u0000","password":"whatever password"}', 'username', 'contains a control character'],
    ['a lone high surrogate (valid JSON)', '{"username":"alice","password":"pw\\ud800"}', 'password', 'contains an unpaired surrogate'],
    ['a lone low surrogate', '{"username":"\\udc00","password":"x"}', 'username', 'contains an unpaired surrogate'],
    ['a C1 control', '{"username":"a\\u0085","password":"x"}', 'username', 'contains a control character'],
    ['DEL', '{"username":"a\\u007f","password":"x"}', 'username', 'contains a control character'],
  ])('%s in the unauthenticated /auth/token', async (_what, body, field, message) => {
    const response = await token(post(body));
    expect(response.status).toBe(422);
    expect((await errorOf(response)).details?.fields).toContainEqual({ field, message });
  });

  it('in a path parameter or a query parameter, before any handler or database work', async () => {
    const path = await getOrder(new Request('http://localhost/api/v1/orders/x'), { params: Promise.resolve({ id: 'a\u0000b' }) });
    expect(path.status).toBe(422);
    expect((await errorOf(path)).details?.fields).toEqual([{ field: 'id', message: 'contains a control character' }]);
    // As Next calls a route without path segments: a context whose params are undefined.
    const query = await withPublic(async () => new Response('reached'))(new Request('http://localhost/x?symbol=%00&ok=1'), {
      params: Promise.resolve(undefined as never),
    });
    expect(query.status).toBe(422);
    expect((await errorOf(query)).details?.fields).toEqual([{ field: 'symbol', message: 'contains a control character' }]);
    const clean = await withPublic(async () => new Response('reached'))(new Request('http://localhost/x?ok=1'), {
      params: Promise.resolve(undefined as never),
    });
    expect(await clean.text()).toBe('reached');
  });
});

describe('JSON bodies need exactly application/json', () => {
  const schema = z.object({ name: safeText() }).strict();

  it.each(['text/plain; x=application/json', 'application/jsonp', 'text/plain', 'application/json-seq', 'multipart/form-data; boundary=application/json'])(
    '%s is 415, naming the type to send',
    async (type) => {
      for (const read of [readJson, readOptionalJson]) {
        const error = await read(post('{"name":"x"}', { 'content-type': type }), schema).catch((e: unknown) => e);
        expect(error).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
        expect((error as Error).message).toContain('Content-Type: application/json');
      }
    },
  );

  it('accepts the type with parameters and in any case', async () => {
    expect(await readJson(post('{"name":"x"}', { 'content-type': 'Application/JSON; charset=utf-8' }), schema)).toEqual({ name: 'x' });
    expect(await readOptionalJson(post('', { 'content-type': 'text/plain' }), schema.partial()), 'an empty body needs no type').toEqual({});
  });
});

describe('oversized bodies are refused early', () => {
  const limit = () => bodyLimitBytes('json');

  it('a declared Content-Length over the limit is 413 without reading a byte', async () => {
    const { stream, pulled } = countingStream(1024);
    const response = await token(post(stream, { 'content-type': 'application/json', 'content-length': String(64 * 1024 * 1024) }));
    expect(response.status).toBe(413);
    expect((await errorOf(response)).message).toContain('CRYPTOBOT_MAX_BODY_BYTES');
    // A ReadableStream pulls once on creation to fill its queue; nothing beyond that may be read.
    expect(pulled.bytes, 'bytes read from the body').toBeLessThanOrEqual(1024);
  });

  it('a body without a length is read only up to the limit, then refused', async () => {
    const { stream, pulled } = countingStream(16 * 1024);
    const response = await token(post(stream));
    expect(response.status).toBe(413);
    expect(pulled.bytes, 'read at most the limit and one chunk beyond').toBeLessThanOrEqual(limit() + 2 * 16 * 1024);
  });

  it('a body just under the limit is read and judged on its content', async () => {
    const padding = ' '.repeat(limit() - 100);
    const response = await token(post(`{"username":"nobody-here","password":"wrong password"}${padding}`.slice(0, limit())));
    expect(response.status, 'judged, not refused for its size').toBe(401);
  });

  it('tRPC calls get the upload limit only when every call of the batch is an upload', () => {
    expect(trpcBodyClass('/api/trpc/marketData.importFile')).toBe('upload');
    expect(trpcBodyClass('/api/trpc/marketData.importFile,marketData.upsertCandles')).toBe('upload');
    expect(trpcBodyClass('/api/trpc/marketData.importFile,auth.register')).toBe('json');
    expect(trpcBodyClass('/api/trpc/auth.register')).toBe('json');
  });
});
