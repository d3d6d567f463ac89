import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { apiKeys } from '@/db/schema';
import { registerUser } from '@/server/services/auth/users';
import { authenticateApiKey, autoRotateDueKeys, createKey, rotateKey } from '@/server/services/keys';
import { DAY_MS } from '@/server/services/keys/config';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';

const OLD = randomBytes(32);
const NEW = randomBytes(32);
const config = (masterKey: Buffer) => ({ graceMs: 7 * DAY_MS, autoRotateLeadMs: 14 * DAY_MS, masterKey });

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.destroy());

/** `npm run keys:rotate-master`, as a process. */
function rotateMaster(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli/rotate-master-key.ts'], {
    env: { PATH: process.env.PATH ?? '', ...env } as unknown as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  return new Promise<{ code: number | null; output: string }>((resolve) => child.on('exit', (code) => resolve({ code, output })));
}

it('keys:rotate-master re-seals a pending API-key successor: it opens under the new key only', async () => {
  let now = new Date('2031-06-01T00:00:00Z').getTime();
  const clock = { now: () => new Date(now) };
  const user = await registerUser(t.db, { username: 'rotate-master', password: 'long enough pw' });
  const owner = { id: user.id, role: user.role, scopes: ['read', 'trade', 'admin'] as const, apiKeyId: null };
  const key = await createKey(t.db, owner, { name: 'auto', scopes: ['read'], expiresInDays: 20 }, clock);
  now += 10 * DAY_MS;
  expect(await autoRotateDueKeys(t.db, config(OLD), clock), 'the worker issued a successor, sealed under the old key').toBe(1);
  const [before] = await t.db.select().from(apiKeys).where(eq(apiKeys.predecessorId, key.id));

  const run = await rotateMaster({ DATABASE_URL: t.url, CRYPTOBOT_MASTER_KEY: OLD.toString('base64'), CRYPTOBOT_MASTER_KEY_NEW: NEW.toString('base64') });
  expect(run.code, run.output).toBe(0);
  expect(run.output).toContain('re-sealed 1 pending API-key successor secret(s)');
  const [after] = await t.db.select().from(apiKeys).where(eq(apiKeys.id, before!.id));
  expect(after!.pendingSecret, 'still waiting, freshly sealed').not.toBe(before!.pendingSecret);

  await expect(rotateKey(t.db, owner, key.id, config(OLD), clock), 'the old master key no longer opens it').rejects.toThrow();
  const fetched = await rotateKey(t.db, owner, key.id, config(NEW), clock);
  expect(fetched.id, 'the waiting successor is handed out').toBe(before!.id);
  expect((await authenticateApiKey(t.db, fetched.key, clock)).ok, 'and its secret is the one its hash was made from').toBe(true);
}, 60_000);
