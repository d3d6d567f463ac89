import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { apiKeys } from '@/db/schema';
import { logger } from '@/server/logger';
import { registerUser } from '@/server/services/auth/users';
import { createKey } from '@/server/services/keys';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { createKeyRotationLoop } from './key-rotation';

const DAY_MS = 86_400_000;
let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.destroy());

it('the key-rotation loop issues a successor for a key near expiry on its first pass', async () => {
  let now = new Date('2032-01-01T00:00:00Z').getTime();
  const clock = () => new Date(now);
  const user = await registerUser(t.db, { username: 'loop-user', password: 'long enough pw' });
  const near = await createKey(
    t.db,
    { ...user, scopes: ['read', 'trade'], apiKeyId: null },
    { name: 'near', scopes: ['read'], expiresInDays: 20 },
    { now: clock },
  );
  const far = await createKey(
    t.db,
    { ...user, scopes: ['read', 'trade'], apiKeyId: null },
    { name: 'far', scopes: ['read'], expiresInDays: 90 },
    { now: clock },
  );
  now += 10 * DAY_MS;
  const loop = createKeyRotationLoop({
    intervalMs: 60_000,
    config: { graceMs: 7 * DAY_MS, autoRotateLeadMs: 14 * DAY_MS, masterKey: randomBytes(32) },
    now: clock,
  });
  const stop = await loop.start({ database: t, workerId: 'test', logger, signal: new AbortController().signal });
  await stop();
  const [nearRow] = await t.db.select().from(apiKeys).where(eq(apiKeys.id, near.id));
  const [farRow] = await t.db.select().from(apiKeys).where(eq(apiKeys.id, far.id));
  expect(nearRow!.successorId, 'the key 10 days from expiry got a successor').not.toBeNull();
  expect(farRow!.successorId, 'the key 80 days from expiry did not').toBeNull();
});
