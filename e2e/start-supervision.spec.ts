import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { expect, test } from './contract';
import postgres from 'postgres';
import { TEST_PASSWORD, uniqueUsername } from './helpers';

/**
 * `npm start` as a supervisor, on the production build this run made: a second Cryptobot (web + worker,
 * server/cli/start.ts) on its own port and its own fresh database. Its worker is killed with SIGKILL and
 * must come back (log line, a new heartbeat, an alert for the admin) while the web server answers
 * /api/health throughout; then SIGTERM must stop everything although a browser and a raw client hold
 * live (SSE) streams open: the server ends the streams itself, the badge turns grey ("reconnecting").
 */
const PORT = Number(process.env.E2E_PORT ?? 3100) + 50;
const BASE = `http://localhost:${PORT}`;

let start: ChildProcess;
let output = '';
let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
let sql: postgres.Sql;
let admin: postgres.Sql;
const database = `cbt_start_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;

test.beforeAll(async () => {
  test.setTimeout(180_000);
  admin = postgres(process.env.TEST_ADMIN_DATABASE_URL!, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${database}`);
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `/${database}`;
  sql = postgres(url.toString(), { max: 2, onnotice: () => {} });
  start = spawn(process.execPath, ['--import', 'tsx', 'server/cli/start.ts'], {
    env: { ...process.env, DATABASE_URL: url.toString(), PORT: String(PORT), NEXTAUTH_URL: BASE, WORKER_HEARTBEAT_MS: '500', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  start.stdout!.on('data', (d) => (output += d));
  start.stderr!.on('data', (d) => (output += d));
  exited = new Promise((resolve) => start.on('exit', (code, signal) => resolve({ code, signal })));
  // migrations, then web + worker: "Cryptobot is running" once /api/health answers.
  await expect.poll(() => output.includes('Cryptobot is running'), { timeout: 150_000, message: 'npm start came up' }).toBe(true);
});

test.afterAll(async () => {
  if (start && start.exitCode === null && start.signalCode === null) {
    start.kill('SIGTERM');
    await exited;
  }
  await sql?.end();
  await admin?.unsafe(`drop database if exists ${database} with (force)`);
  await admin?.end();
});

/** The process ids of start.ts's children (web server, worker). */
const childPids = (pid: number) =>
  execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
    .split('\n')
    .map((s) => Number(s.trim()))
    .filter((n) => n > 0);
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('a worker killed with SIGKILL is restarted with an alert while the web app keeps answering; SIGTERM then stops everything despite open live streams', async ({
  page,
}) => {
  test.setTimeout(240_000);
  // The first account on this database is its admin: worker alerts are addressed to admins.
  const username = uniqueUsername('supervise');
  const registered = await fetch(`${BASE}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: TEST_PASSWORD }),
  });
  expect(registered.status, await registered.text()).toBe(201);
  const tokenResponse = await fetch(`${BASE}/api/v1/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: TEST_PASSWORD }),
  });
  const { accessToken } = (await tokenResponse.json()) as { accessToken: string };
  const auth = { authorization: `Bearer ${accessToken}` };

  // --- the worker dies; the web app does not ---------------------------------------------------------
  await expect
    .poll(async () => (await sql`select pid from worker_heartbeats where stopped_at is null`).length, { timeout: 60_000, message: 'the worker beats' })
    .toBe(1);
  const [first] = await sql<Array<{ pid: number }>>`select pid from worker_heartbeats where stopped_at is null`;
  const healthFailures: string[] = [];
  let healthChecks = 0;
  let watching = true;
  const watchHealth = (async () => {
    while (watching) {
      try {
        const response = await fetch(`${BASE}/api/health`);
        if (response.status !== 200) healthFailures.push(`status ${response.status}`);
      } catch (error) {
        healthFailures.push(String(error));
      }
      healthChecks++;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  process.kill(first!.pid, 'SIGKILL');
  await expect.poll(() => output.includes('worker exited unexpectedly (SIGKILL)'), { timeout: 30_000, message: 'start.ts saw the crash' }).toBe(true);
  await expect
    .poll(async () => (await sql<Array<{ pid: number }>>`select pid from worker_heartbeats where pid <> ${first!.pid} and stopped_at is null`).length, {
      timeout: 90_000,
      message: 'a new worker beats',
    })
    .toBe(1);
  await expect
    .poll(
      async () =>
        ((await (await fetch(`${BASE}/api/v1/alerts`, { headers: auth })).json()) as { alerts?: Array<{ kind: string; severity: string }> }).alerts?.filter(
          (a) => a.kind === 'worker_restarted',
        ).length ?? 0,
      {
        timeout: 30_000,
        message: 'the admin was alerted',
      },
    )
    .toBe(1);
  watching = false;
  await watchHealth;
  expect(healthChecks, 'health was checked while the worker was down and restarting').toBeGreaterThan(1);
  expect(healthFailures, 'the web app answered /api/health throughout').toEqual([]);

  // --- live streams open, then SIGTERM ---------------------------------------------------------------
  await page.goto(`${BASE}/login`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(TEST_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible({ timeout: 60_000 });
  const badge = page.getByTestId('live-status');
  await expect(badge, 'the dashboard is subscribed').toHaveAttribute('data-status', 'live', { timeout: 60_000 });

  // A raw SSE client too: its stream must be ended by the server, not cut by a killed process.
  const stream = await fetch(`${BASE}/api/trpc/events.stream`, { headers: { ...auth, accept: 'text/event-stream' } });
  expect(stream.headers.get('content-type')).toContain('text/event-stream');
  const reader = stream.body!.getReader();
  expect(new TextDecoder().decode((await reader.read()).value), 'the stream is open').toContain('connected');
  const drained = (async () => {
    for (;;) if ((await reader.read()).done) return 'ended by the server';
  })().catch((error: unknown) => `broken: ${String((error as Error).cause ?? error)}`);

  const children = childPids(start.pid!);
  expect(children.length, 'web and worker run under start').toBeGreaterThanOrEqual(2);
  start.kill('SIGTERM');
  const watchdog = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`npm start did not exit after SIGTERM:\n${output.slice(-3000)}`)), 60_000),
  );
  expect(await Promise.race([drained, watchdog]), 'SIGTERM ends the open stream cleanly').toBe('ended by the server');
  await expect(badge, 'the open dashboard no longer claims to be live').toHaveAttribute('data-status', 'reconnecting', { timeout: 30_000 });
  await expect(badge).toHaveText('Reconnecting…');
  const exit = await Promise.race([exited, watchdog]);
  expect(exit.code, output.slice(-3000)).toBe(0);
  expect(children.filter(alive), 'no child outlives npm start').toEqual([]);
});
