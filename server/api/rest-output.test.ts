import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getDatabase } from '@/db/client';
import { json, reply, withPublic } from './rest';
import { ZUserResponseSchema } from './schemas/auth';

afterAll(async () => {
  await getDatabase().close();
});

/** REST checks what it answers against the same schemas as tRPC's `.output()`. */
describe('REST output', () => {
  const user = { id: '3f1c2b0e-8d4a-4c6e-9b7a-2e5f1d3c4b5a', username: 'alice', role: 'user' as const };

  it('sends a body that matches its schema exactly as json() would', async () => {
    const checked = reply(ZUserResponseSchema, { ...user, extra: 1 } as never, 201, { Location: '/x' });
    const plain = json({ ...user, extra: 1 }, 201, { Location: '/x' });
    expect(checked.status).toBe(201);
    expect(checked.headers.get('location')).toBe('/x');
    expect(await checked.text(), 'unknown keys are kept, as before').toBe(await plain.text());
  });

  it('answers a body that breaks its schema with an opaque 500, not the body and not a 422', async () => {
    const route = withPublic(async () => reply(ZUserResponseSchema, { ...user, role: 'superuser' } as never));
    const response = await route(new Request('http://localhost/api/v1/example'));
    expect(response.status, 'a wrong shape is our bug').toBe(500);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('INTERNAL');
    expect(body.error.message).toMatch(/^internal error \(id [0-9a-f-]{36}\)$/);
    expect(JSON.stringify(body), 'the unchecked body never leaves').not.toContain('superuser');
  });

  it('is how every REST v1 route answers: no route sends an unchecked json() body', () => {
    const root = path.join(process.cwd(), 'app/api/v1');
    const routes = fs.readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((file) => path.basename(file) === 'route.ts');
    expect(routes.length, 'the REST routes were found').toBeGreaterThan(40);
    const unchecked = routes.filter((file) => /\bjson\(/.test(fs.readFileSync(path.join(root, file), 'utf8')));
    expect(unchecked, 'answer with reply(<output schema>, body) from server/api/rest.ts').toEqual([]);
  });
});
