import { afterAll, expect, it } from 'vitest';

// This file's process talks to a database that is not there: nothing listens on port 1.
process.env.DATABASE_URL = 'postgres://postgres@127.0.0.1:1/cryptobot';

afterAll(async () => {
  const { getDatabase } = await import('@/db/client');
  await getDatabase().close();
});

it('answers 503 naming the database when it is down, and no stack trace', async () => {
  const { GET } = await import('./route');
  const response = await GET(new Request('http://localhost/api/health'));
  expect(response.status).toBe(503);
  const body = (await response.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ status: 'degraded', db: 'down', error: 'database unreachable' });
  expect(JSON.stringify(body)).not.toMatch(/ECONNREFUSED|at .*\.ts:\d+/);
});
