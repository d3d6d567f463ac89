import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { workerHeartbeats } from '@/db/schema';
import { checkHealth } from '@/server/services/system/health';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';

const masterKey = randomBytes(32).toString('base64');
let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
// A failed assertion must not leave a worker running against a dropped database (and load the machine for hours).
const spawned = new Set<ReturnType<typeof spawn>>();
afterAll(async () => {
  for (const child of spawned) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await t.destroy();
});

function runWorker(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/worker/main.ts'], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env } as unknown as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  spawned.add(child);
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

it('beats while running and stops cleanly on SIGTERM, marking itself stopped', async () => {
  const worker = runWorker({ DATABASE_URL: t.url, WORKER_HEARTBEAT_MS: '200', WORKER_ID: 'test-worker', CRYPTOBOT_MASTER_KEY: masterKey });
  // The first beat comes once the process has compiled and started its loops: a guard generous enough for a busy
  // machine (seen: over 20 s at load 10), the wait itself ends at the beat.
  await expect
    .poll(async () => (await t.db.select().from(workerHeartbeats).where(eq(workerHeartbeats.workerId, 'test-worker'))).length, { timeout: 60_000 })
    .toBe(1);
  const [first] = await t.db.select().from(workerHeartbeats).where(eq(workerHeartbeats.workerId, 'test-worker'));
  await expect
    .poll(async () => (await t.db.select().from(workerHeartbeats).where(eq(workerHeartbeats.workerId, 'test-worker')))[0]!.lastHeartbeatAt.getTime(), {
      timeout: 10_000,
    })
    .toBeGreaterThan(first!.lastHeartbeatAt.getTime());
  expect((await checkHealth(t.db)).worker.lastHeartbeat, 'health reports the running worker').not.toBeNull();

  worker.child.kill('SIGTERM');
  expect(await worker.exited, worker.output()).toBe(0);
  const [row] = await t.db.select().from(workerHeartbeats).where(eq(workerHeartbeats.workerId, 'test-worker'));
  expect(row!.stoppedAt, 'a stopped worker says so').not.toBeNull();
  expect((await checkHealth(t.db)).worker.lastHeartbeat, 'a stopped worker no longer counts as running').toBeNull();
}, 90_000);

it('refuses to start without DATABASE_URL or the master key, one line each', async () => {
  const worker = runWorker({});
  expect(await worker.exited).toBe(1);
  expect(worker.output()).toMatch(/DATABASE_URL is required but not set/);
  expect(worker.output()).toMatch(/CRYPTOBOT_MASTER_KEY is required but not set/);
  expect(worker.output(), 'a refusal, not a crash').not.toMatch(/\bat .*\.ts:\d+/);
});

it('explains an unreachable database and exits non-zero', async () => {
  const worker = runWorker({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nothing', CRYPTOBOT_MASTER_KEY: masterKey });
  expect(await worker.exited).toBe(1);
  expect(worker.output()).toMatch(/cannot reach PostgreSQL at 127\.0\.0\.1:1 \(connection refused\)/);
});

it('refuses a bad database timeout variable at start, naming it', async () => {
  const worker = runWorker({ DATABASE_URL: t.url, CRYPTOBOT_MASTER_KEY: masterKey, DATABASE_LOCK_TIMEOUT_MS: 'soon', DATABASE_STATEMENT_TIMEOUT_MS: '10' });
  expect(await worker.exited).toBe(1);
  expect(worker.output()).toMatch(/DATABASE_LOCK_TIMEOUT_MS must be a whole number of milliseconds/);
  expect(worker.output()).toMatch(/DATABASE_STATEMENT_TIMEOUT_MS must be at least 100 ms/);
  expect(worker.output(), 'a refusal, not a crash').not.toMatch(/\bat .*\.ts:\d+/);
}, 60_000);
