/**
 * Runs the container's commands outside a container (where Docker cannot pull base images), as the
 * Dockerfile and docker-compose.yml run them, against DATABASE_URL:
 *
 *   1. migrate: `node --import tsx server/cli/db-migrate.ts`
 *   2. web: the standalone build laid out as the Dockerfile's runner stage lays it out (standalone/ → web/,
 *      static/ → web/.next/static, public/ → web/public) in a temporary folder outside the repository (so
 *      no node_modules of ours is reachable: only what Next traced), started as the image's CMD
 *      `node web/server.js` with HOSTNAME and PORT; then GET /api/health (200, db ok), the sign-in page and
 *      one of its scripts from /_next/static, public/favicon.svg, and POST /api/mcp without a key (401);
 *   3. worker: `node --import tsx server/worker/main.ts`, until the worker's health check command
 *      (`node --import tsx server/cli/worker-health.ts`) passes; then SIGTERM and a clean exit.
 *
 *   NODE_ENV=production NEXT_OUTPUT=standalone NEXT_DIST_DIR=.next-standalone npx next build
 *   NEXT_DIST_DIR=.next-standalone npx tsx server/cli/with-test-db.ts npx tsx server/cli/container-check.ts
 *
 * Servers listen on 127.0.0.1 only (the image listens on 0.0.0.0). Exit 0 when every step passed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { cliEnvOrExit, inheritedEnvironment } from '@/server/env';

const ROOT = path.resolve(import.meta.dirname, '../..');
const env = cliEnvOrExit(
  'container-check',
  ['DATABASE_URL', 'NEXTAUTH_SECRET', 'CRYPTOBOT_MASTER_KEY', 'NEXT_DIST_DIR'],
  ['NEXTAUTH_SECRET', 'CRYPTOBOT_MASTER_KEY', 'NEXT_DIST_DIR'],
);
/** The build folder, as next.config.js reads it. */
const DIST = env.NEXT_DIST_DIR;

const say = (message: string) => console.log(`[container-check] ${message}`);
function fail(message: string): never {
  console.error(`[container-check] FAILED: ${message}`);
  process.exit(1);
}

/** The environment docker-compose.yml gives the app's containers; nothing else of this shell's (PATH aside). */
const appEnv: NodeJS.ProcessEnv = {
  PATH: inheritedEnvironment().PATH,
  NODE_ENV: 'production',
  DATABASE_URL: env.DATABASE_URL,
  NEXTAUTH_SECRET: env.NEXTAUTH_SECRET ?? randomBytes(48).toString('base64'),
  CRYPTOBOT_MASTER_KEY: env.CRYPTOBOT_MASTER_KEY ?? randomBytes(32).toString('base64'),
  LOG_LEVEL: 'warn',
};

function run(name: string, args: string[], cwd: string, extra: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, args, { cwd, env: { ...appEnv, ...extra }, stdio: ['ignore', 'inherit', 'inherit'] });
  child.on('error', (error) => fail(`${name}: ${error.message}`));
  return child;
}
const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Polls until `check` holds (a signal: the server answering), at most `timeoutMs`. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  fail(`${what} within ${timeoutMs / 1000} s`);
}

async function main(): Promise<void> {
  // 1. migrate
  say('migrate: node --import tsx server/cli/db-migrate.ts');
  if ((await exited(run('migrate', ['--import', 'tsx', 'server/cli/db-migrate.ts'], ROOT))) !== 0) fail('the migrate command failed');

  // 2. web, laid out as the Dockerfile's runner stage
  const standalone = path.join(ROOT, DIST, 'standalone');
  if (!fs.existsSync(path.join(standalone, 'server.js')))
    fail(`${path.join(DIST, 'standalone/server.js')} is missing: build with NODE_ENV=production NEXT_OUTPUT=standalone NEXT_DIST_DIR=${DIST} npx next build`);
  const app = fs.mkdtempSync(path.join(os.tmpdir(), 'cryptobot-container-'));
  const web = path.join(app, 'web');
  try {
    fs.cpSync(standalone, web, { recursive: true, verbatimSymlinks: true });
    fs.cpSync(path.join(ROOT, DIST, 'static'), path.join(web, DIST, 'static'), { recursive: true });
    fs.cpSync(path.join(ROOT, 'public'), path.join(web, 'public'), { recursive: true });
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    say(`web: node web/server.js in ${app} (HOSTNAME=127.0.0.1 PORT=${port})`);
    const server = run('web', ['web/server.js'], app, { HOSTNAME: '127.0.0.1', PORT: String(port), NEXTAUTH_URL: base, CRYPTOBOT_SERVICE: 'web' });
    try {
      await until('GET /api/health answered 200', async () => (await fetch(`${base}/api/health`)).status === 200, 60_000);
      const health = (await (await fetch(`${base}/api/health`)).json()) as { db: string };
      if (health.db !== 'ok') fail(`/api/health says db ${health.db}`);
      say('GET /api/health: 200, db ok');
      const login = await fetch(`${base}/login`);
      const html = await login.text();
      if (login.status !== 200 || !html.includes('<html')) fail(`GET /login answered ${login.status}`);
      const script = /src="(\/_next\/static\/[^"]+\.js)"/.exec(html)?.[1];
      if (!script) fail('the sign-in page references no /_next/static script');
      const asset = await fetch(`${base}${script}`);
      if (asset.status !== 200) fail(`GET ${script} answered ${asset.status} (static files not where the server looks)`);
      say(`GET /login: 200; GET ${script}: 200`);
      const favicon = await fetch(`${base}/favicon.svg`);
      if (favicon.status !== 200) fail(`GET /favicon.svg (public/) answered ${favicon.status}`);
      say('GET /favicon.svg: 200');
      const mcp = await fetch(`${base}/api/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
      if (mcp.status !== 401) fail(`POST /api/mcp without a key answered ${mcp.status}, not 401`);
      say('POST /api/mcp without a key: 401');
    } finally {
      server.kill('SIGTERM');
      await exited(server);
    }
  } finally {
    fs.rmSync(app, { recursive: true, force: true });
  }

  // 3. worker, and its health check command
  say('worker: node --import tsx server/worker/main.ts');
  const worker = run('worker', ['--import', 'tsx', 'server/worker/main.ts'], ROOT, { CRYPTOBOT_SERVICE: 'worker', WORKER_HEARTBEAT_MS: '1000' });
  try {
    await until(
      'the worker health check (node --import tsx server/cli/worker-health.ts) passed',
      async () => (await exited(run('worker-health', ['--import', 'tsx', 'server/cli/worker-health.ts'], ROOT, { WORKER_HEARTBEAT_MS: '1000' }))) === 0,
      60_000,
    );
    say('worker health check: exit 0');
  } finally {
    worker.kill('SIGTERM');
  }
  const code = await exited(worker);
  if (code !== 0) fail(`the worker exited ${code} after SIGTERM`);
  say('worker: clean exit on SIGTERM');
  say('every step passed');
}

await main();
