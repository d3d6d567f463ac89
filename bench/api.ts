/**
 * The API's ceilings, in one run: a fresh migrated database, a production build (NEXT_DIST_DIR=.next-bench so it
 * never clashes with the developer's .next), the web app started exactly as `npm run web` does
 * (`node --import tsx server/cli/start.ts --web`) on a free loopback port, and a bare node:http server answering
 * a tiny JSON in this process. A forked load generator (bench/lib/load-generator.ts) drives each endpoint at a
 * fixed concurrency; endpoints are measured round-robin so background load hits them alike.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { runMigrations } from '../db/migrate';
import { assertDatabaseReachable, createDatabaseIfMissing, dropDatabase, withDatabase } from '../db/admin';
import { freePort, makeTempDataDir, startEmbeddedPostgres, type EmbeddedServer } from '../server/cli/embedded-postgres';
import type { LoadReply, LoadRequest } from './lib/load-generator';
import { roundSummary, summarize, type Summary } from './lib/stats';
import { spawnTsx } from './lib/process';
import { settle, timeAsync } from './lib/timing';

const ROOT = path.resolve(import.meta.dirname, '..');
export const BENCH_DIST_DIR = '.next-bench';

export interface BenchDatabase {
  readonly url: string;
  /** "DATABASE_URL" or "embedded-postgres" */
  readonly source: string;
  close(): Promise<void>;
}

/** A fresh database with the migrations applied: on DATABASE_URL's server when set, else an embedded PostgreSQL. */
export async function startBenchDatabase(log: (line: string) => void): Promise<BenchDatabase> {
  let embedded: EmbeddedServer | undefined;
  let dataDir: string | undefined;
  let adminUrl: string;
  if (process.env.DATABASE_URL) {
    adminUrl = withDatabase(process.env.DATABASE_URL, 'postgres');
    await assertDatabaseReachable(adminUrl);
  } else {
    dataDir = makeTempDataDir('cryptobot-bench-');
    log('  no DATABASE_URL: starting an embedded PostgreSQL');
    embedded = await startEmbeddedPostgres({ dataDir, persistent: false });
    adminUrl = embedded.adminUrl;
  }
  const name = `cryptobot_bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const url = await createDatabaseIfMissing(adminUrl, name);
  const close = async () => {
    await dropDatabase(adminUrl, name).catch((error) => log(`  could not drop ${name}: ${(error as Error).message}`));
    if (embedded) await embedded.stop().catch(() => {});
    if (dataDir) fs.rmSync(path.dirname(dataDir), { recursive: true, force: true });
  };
  try {
    await runMigrations(url);
  } catch (error) {
    await close();
    throw error;
  }
  return { url, source: embedded ? 'embedded-postgres' : 'DATABASE_URL', close };
}

/** Runs `next build` into .next-bench unless `reuse` and a build is there; returns whether it built and how long it took. */
export async function ensureBuild(reuse: boolean, logDir: string, log: (line: string) => void): Promise<{ built: boolean; ms: number | null }> {
  if (reuse && fs.existsSync(path.join(ROOT, BENCH_DIST_DIR, 'BUILD_ID'))) {
    log(`  reusing the production build in ${BENCH_DIST_DIR}/ (--quick)`);
    return { built: false, ms: null };
  }
  const logFile = path.join(logDir, 'next-build.log');
  log(`  next build → ${BENCH_DIST_DIR}/ (log: ${logFile})`);
  const { ms } = await timeAsync(
    () =>
      new Promise<void>((resolve, reject) => {
        const out = fs.openSync(logFile, 'w');
        const child = spawn(process.execPath, [path.join(ROOT, 'node_modules/next/dist/bin/next'), 'build'], {
          cwd: ROOT,
          env: { ...process.env, NEXT_DIST_DIR: BENCH_DIST_DIR, NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1' },
          stdio: ['ignore', out, out],
        });
        child.on('exit', (code) => {
          fs.closeSync(out);
          if (code === 0) resolve();
          else reject(new Error(`next build failed (exit ${code}); see ${logFile}: ${tail(logFile)}`));
        });
      }),
  );
  return { built: true, ms: Math.round(ms) };
}

function tail(file: string, lines = 8): string {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join(' | ');
  } catch {
    return '';
  }
}

export interface RunningApp {
  readonly baseUrl: string;
  readonly startupMs: number;
  stop(): Promise<void>;
}

/** `node --import tsx server/cli/start.ts --web` on a free port; resolves once GET /api/health answers 200. */
export async function startApp(databaseUrl: string, logDir: string, log: (line: string) => void): Promise<RunningApp> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const logFile = path.join(logDir, 'web.log');
  log(`  starting the web app on ${baseUrl} (log: ${logFile})`);
  const { exited, stop } = spawnTsx(path.join(ROOT, 'server/cli/start.ts'), ['--web'], {
    cwd: ROOT,
    logFile,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      NEXTAUTH_URL: baseUrl,
      NEXTAUTH_SECRET: randomBytes(48).toString('base64'),
      CRYPTOBOT_MASTER_KEY: randomBytes(32).toString('base64'),
      NEXT_DIST_DIR: BENCH_DIST_DIR,
      NEXT_TELEMETRY_DISABLED: '1',
      // The benches register their users over REST, many from one address: open registration, no per-address cap.
      CRYPTOBOT_REGISTRATION: 'open',
      CRYPTOBOT_REGISTRATIONS_PER_IP: '100000',
    },
  });
  const started = performance.now();
  const deadline = Date.now() + 180_000;
  let early: number | null | undefined;
  void exited.then((code) => (early = code));
  while (Date.now() < deadline) {
    if (early !== undefined) throw new Error(`the web app exited (code ${early}) before it was healthy; see ${logFile}: ${tail(logFile)}`);
    try {
      const response = await fetch(`${baseUrl}/api/health`);
      if (response.status === 200) return { baseUrl, startupMs: Math.round(performance.now() - started), stop };
    } catch {
      // not listening yet
    }
    await settle(300);
  }
  await stop();
  throw new Error(`the web app was not healthy within 180 s; see ${logFile}`);
}

/** The reference: node:http answering a tiny JSON, nothing else. */
export async function startBareServer(): Promise<{ url: string; close(): Promise<void> }> {
  const body = JSON.stringify({ status: 'ok' });
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('bare server has no address');
  return {
    url: `http://127.0.0.1:${address.port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Registers a bench user over REST and returns an access token for `Authorization: Bearer`. */
export async function registerAndToken(baseUrl: string): Promise<string> {
  const username = `bench_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(18).toString('base64');
  const post = async (route: string, body: unknown) => {
    const response = await fetch(`${baseUrl}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = (await response.json()) as Record<string, unknown>;
    if (!response.ok) throw new Error(`POST ${route}: HTTP ${response.status} ${JSON.stringify(json)}`);
    return json;
  };
  await post('/api/v1/auth/register', { username, password });
  const token = await post('/api/v1/auth/token', { username, password });
  if (typeof token.accessToken !== 'string') throw new Error('POST /api/v1/auth/token returned no accessToken');
  return token.accessToken;
}

export interface LoadGenerator {
  run(request: Omit<LoadRequest, 'id'>): Promise<LoadReply>;
  close(): void;
}

export function startLoadGenerator(): LoadGenerator {
  const child: ChildProcess = fork(path.join(ROOT, 'bench/lib/load-generator.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 1;
  return {
    run: (request) =>
      new Promise<LoadReply>((resolve, reject) => {
        const id = nextId++;
        const onMessage = (reply: LoadReply) => {
          if (reply.id !== id) return;
          cleanup();
          if (reply.error) reject(new Error(reply.error));
          else resolve(reply);
        };
        const onExit = (code: number | null) => {
          cleanup();
          reject(new Error(`the load generator exited (code ${code})`));
        };
        const cleanup = () => {
          child.off('message', onMessage);
          child.off('exit', onExit);
        };
        child.on('message', onMessage);
        child.on('exit', onExit);
        child.send({ ...request, id } satisfies LoadRequest);
      }),
    close: () => {
      if (child.connected) child.disconnect();
    },
  };
}

export interface EndpointTarget {
  readonly key: string;
  readonly label: string;
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** a check of one response before the load, so a wrong route never gets measured as fast */
  readonly expectBody: RegExp;
}

export interface EndpointResult {
  label: string;
  url: string;
  requestsPerSecond: Summary;
  p50Ms: Summary;
  p99Ms: Summary;
  /** non-200 answers and transport errors over all measured runs */
  failed: number;
  firstFailure: string | null;
}

export async function measureEndpoints(
  targets: readonly EndpointTarget[],
  options: { concurrency: number; durationMs: number; warmupMs: number; runs: number; log: (line: string) => void },
): Promise<Record<string, EndpointResult>> {
  for (const target of targets) {
    const response = await fetch(target.url, { headers: target.headers });
    const text = await response.text();
    if (response.status !== 200 || !target.expectBody.test(text))
      throw new Error(`${target.label}: expected 200 matching ${target.expectBody}, got ${response.status} ${text.slice(0, 200)}`);
  }
  const generator = startLoadGenerator();
  try {
    const request = (target: EndpointTarget, durationMs: number) =>
      generator.run({ url: target.url, headers: target.headers, concurrency: options.concurrency, durationMs, maxRequests: 2_000_000 });
    for (const target of targets) await request(target, options.warmupMs);
    const replies = new Map(targets.map((t) => [t.key, [] as LoadReply[]]));
    for (let round = 0; round < options.runs; round++) {
      for (const target of targets) {
        replies.get(target.key)!.push(await request(target, options.durationMs));
        await settle(100);
      }
      options.log(
        `  api: round ${round + 1}/${options.runs}: ${targets.map((t) => `${t.key} ${Math.round(replies.get(t.key)!.at(-1)!.requestsPerSecond)}/s`).join(', ')}`,
      );
    }
    const results: Record<string, EndpointResult> = {};
    for (const target of targets) {
      const runs = replies.get(target.key)!.filter((r) => r.ok > 0);
      const all = replies.get(target.key)!;
      if (runs.length === 0) throw new Error(`${target.label}: no successful request (${all[0]?.firstFailure ?? 'unknown'})`);
      results[target.key] = {
        label: target.label,
        url: new URL(target.url).pathname,
        requestsPerSecond: roundSummary(summarize(runs.map((r) => r.requestsPerSecond))),
        p50Ms: roundSummary(summarize(runs.map((r) => r.p50Ms)), 3),
        p99Ms: roundSummary(summarize(runs.map((r) => r.p99Ms)), 3),
        failed: all.reduce((sum, r) => sum + r.failed, 0),
        firstFailure: all.find((r) => r.firstFailure)?.firstFailure ?? null,
      };
    }
    return results;
  } finally {
    generator.close();
  }
}

/** A directory outside the project for the build and server logs. */
export function makeLogDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'cryptobot-bench-logs-'));
}
