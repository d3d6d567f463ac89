import http from 'node:http';
import { expect, test, type APIRequestContext } from './contract';
import { adminCaller, bearer } from './keys-helpers';

/**
 * Oversized bodies are refused early (docs/security.md, server/api/body-limit.ts): 413 before the body is
 * read when its Content-Length says it is too large, and as soon as the limit is passed when it comes
 * chunked, on REST, tRPC and the next-auth sign-in; a candle upload just under its larger limit is still
 * accepted. Raw node:http requests that never end their body: only a server that refuses without
 * waiting for the end can answer them.
 */

const JSON_LIMIT = 64 * 1024; // CRYPTOBOT_MAX_BODY_BYTES default
const UPLOAD_LIMIT = 65 * 1024 * 1024; // CRYPTOBOT_MAX_UPLOAD_BYTES default
const SIXTY_FOUR_MB = 64 * 1024 * 1024;

interface RawAnswer {
  status: number;
  body: string;
}

/**
 * Sends the headers and `bodyBytes` of body, and never ends the request: an answer can only come from a
 * server that stopped reading at its limit instead of waiting for the rest (a server that waits would
 * leave this hanging until the test times out).
 */
function sendWithoutEnding(baseURL: string, path: string, headers: Record<string, string>, bodyBytes: number): Promise<RawAnswer> {
  const url = new URL(path, baseURL);
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers, agent: false }, (res) => {
      answered = true;
      let body = '';
      let done = false;
      // The server may close the connection after its answer (the body was left unread): any end will do.
      const finish = () => {
        if (done) return;
        done = true;
        resolve({ status: res.statusCode ?? 0, body });
        req.destroy();
      };
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', finish);
      res.on('close', finish);
      res.on('error', finish);
    });
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    req.write(Buffer.alloc(bodyBytes, 0x20));
  });
}

async function expectHealthy(request: APIRequestContext) {
  const health = await request.get('/api/health');
  expect(health.status(), 'the server is still healthy').toBe(200);
  const token = await request.post('/api/v1/auth/token', { data: { username: 'nobody-at-all', password: 'wrong password' } });
  expect(token.status(), 'and answers the route it refused, normally').toBe(401);
}

test.describe('oversized bodies', () => {
  for (const target of [
    { name: 'REST /api/v1/auth/token', path: '/api/v1/auth/token', type: 'application/json', code: (b: string) => JSON.parse(b).error.code },
    { name: 'tRPC auth.register', path: '/api/trpc/auth.register', type: 'application/json', code: (b: string) => JSON.parse(b).error.json.data.code },
    {
      name: 'next-auth sign-in',
      path: '/api/auth/callback/credentials',
      type: 'application/x-www-form-urlencoded',
      code: (b: string) => JSON.parse(b).error.code,
    },
  ]) {
    test(`${target.name}: a declared 64 MB body is 413 before the server reads it`, async ({ request, baseURL }) => {
      // Headers announce 64 MB; only the first 16 KiB are ever sent.
      const answer = await sendWithoutEnding(baseURL!, target.path, { 'content-type': target.type, 'content-length': String(SIXTY_FOUR_MB) }, 16 * 1024);
      expect(answer.status, answer.body).toBe(413);
      expect(target.code(answer.body)).toBe('PAYLOAD_TOO_LARGE');
      await expectHealthy(request);
    });

    test(`${target.name}: a chunked body is read up to the limit, then refused with 413`, async ({ request, baseURL }) => {
      // No Content-Length: twice the limit is sent, and the body never ends.
      const answer = await sendWithoutEnding(baseURL!, target.path, { 'content-type': target.type, 'transfer-encoding': 'chunked' }, 2 * JSON_LIMIT);
      expect(answer.status, answer.body).toBe(413);
      expect(target.code(answer.body)).toBe('PAYLOAD_TOO_LARGE');
      await expectHealthy(request);
    });
  }

  test('a whole 64 MB body sent to /api/v1/auth/token is 413 and the server stays healthy', async ({ request }) => {
    const response = await request.post('/api/v1/auth/token', {
      headers: { 'content-type': 'application/json' },
      data: Buffer.alloc(SIXTY_FOUR_MB, 0x20),
      failOnStatusCode: false,
    });
    expect(response.status()).toBe(413);
    const body = await response.json();
    expect(body.error.message, 'says the limit and how to change it').toContain('CRYPTOBOT_MAX_BODY_BYTES');
    await expectHealthy(request);
  });

  test('a JSON body just under the limit is read and judged on its content', async ({ request }) => {
    const json = '{"username":"nobody-at-all","password":"wrong password"}';
    const response = await request.post('/api/v1/auth/token', {
      headers: { 'content-type': 'application/json' },
      data: Buffer.from(json + ' '.repeat(JSON_LIMIT - json.length)),
    });
    expect(response.status(), 'not refused for its size').toBe(401);
  });

  test('a candle upload just under its larger limit is accepted; just over it is 413', async ({ request }) => {
    const admin = await adminCaller(request);
    const start = Date.UTC(2019, 0, 1);
    const candles = Array.from({ length: 3 }, (_, i) => [start + i * 3_600_000, 100, 110, 90, 105, 1]);
    const json = JSON.stringify({ exchange: 'binance', symbol: 'LIMIT/USDT', timeframe: '1h', candles });
    // JSON whitespace pads the body to 1 KiB under the upload limit (far over the JSON limit) cheaply.
    const underLimit = Buffer.concat([Buffer.from(json), Buffer.alloc(UPLOAD_LIMIT - json.length - 1024, 0x20)]);
    const accepted = await request.post('/api/v1/market-data/candles', {
      headers: { ...bearer(admin.accessToken), 'content-type': 'application/json' },
      data: underLimit,
      timeout: 120_000,
    });
    expect(accepted.status(), await accepted.text()).toBe(200);
    expect(await accepted.json()).toMatchObject({ inserted: 3, rejected: [] });

    const overLimit = Buffer.concat([underLimit, Buffer.alloc(2048, 0x20)]);
    const refused = await request.post('/api/v1/market-data/candles', {
      headers: { ...bearer(admin.accessToken), 'content-type': 'application/json' },
      data: overLimit,
      failOnStatusCode: false,
      timeout: 120_000,
    });
    expect(refused.status()).toBe(413);
    expect((await refused.json()).error.message).toContain('CRYPTOBOT_MAX_UPLOAD_BYTES');
  });
});

test.describe('JSON bodies need exactly application/json', () => {
  for (const type of ['text/plain; x=application/json', 'application/jsonp', 'text/plain']) {
    test(`"${type}" is 415 with a message naming the type to send`, async ({ request }) => {
      const response = await request.post('/api/v1/auth/token', {
        headers: { 'content-type': type },
        data: Buffer.from('{"username":"a","password":"b"}'),
        failOnStatusCode: false,
      });
      expect(response.status()).toBe(415);
      const body = await response.json();
      expect(body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      expect(body.error.message).toContain('Content-Type: application/json');
    });
  }

  test('with parameters such as charset it is JSON', async ({ request }) => {
    const response = await request.post('/api/v1/auth/token', {
      headers: { 'content-type': 'application/json; charset=utf-8' },
      data: Buffer.from('{"username":"nobody-at-all","password":"wrong password"}'),
    });
    expect(response.status()).toBe(401);
  });
});
