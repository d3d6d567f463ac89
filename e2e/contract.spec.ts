import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test } from './contract';

/** A stand-in server that answers every request with `status` and `body` as JSON: what a drifted route would send. */
async function serving(status: number, body: unknown): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

test('the app serves its OpenAPI document to anyone, and its answers pass the contract check', async ({ request }) => {
  const document = await request.get('/api/v1/openapi.json');
  expect(document.status()).toBe(200);
  expect(document.headers()['cache-control']).toMatch(/^public/);
  expect(((await document.json()) as { openapi: string }).openapi).toBe('3.1.0');
  const registration = await request.get('/api/v1/auth/registration');
  expect(registration.status(), 'a documented answer goes through').toBe(200);
  const refused = await request.get('/api/v1/me');
  expect(refused.status(), 'so does a documented refusal').toBe(401);
});

test('an /api/v1 answer that breaks the document fails the request that got it', async ({ request }) => {
  const drifted = await serving(200, { mode: 'sometimes', firstAccount: 'yes' });
  try {
    await expect(request.get(`${drifted.url}/api/v1/auth/registration`), 'a wrong body').rejects.toThrow(
      /breaks the OpenAPI contract[\s\S]*\/mode[\s\S]*\/firstAccount/,
    );
    await expect(request.get(`${drifted.url}/api/v1/no-such-route`), 'a route the document does not have').rejects.toThrow(/is not in the OpenAPI document/);
    await expect(request.post(`${drifted.url}/api/v1/auth/registration`), 'a method the document does not have').rejects.toThrow(/not in the OpenAPI document/);
    const outside = await request.get(`${drifted.url}/elsewhere`);
    expect(outside.status(), 'answers outside /api/v1 are not the contract’s').toBe(200);
  } finally {
    await drifted.close();
  }
  const teapot = await serving(418, { error: { code: 'BAD_REQUEST', message: 'short and stout' } });
  try {
    await expect(request.get(`${teapot.url}/api/v1/me`), 'a status the operation does not document').rejects.toThrow(/does not document status 418/);
  } finally {
    await teapot.close();
  }
});

test('page.request is checked too', async ({ page }) => {
  const drifted = await serving(200, { id: 42, username: 'x', role: 'user' });
  try {
    await expect(page.request.get(`${drifted.url}/api/v1/me`)).rejects.toThrow(/\/id must be string/);
  } finally {
    await drifted.close();
  }
});
