/**
 * Real worker processes for reliability tests (server/worker/*reliability.test.ts): started as production starts
 * them (`server/worker/main.ts`, only the variables it needs), killed with -9 from outside or at a named crash point,
 * and the checks that nothing was sent twice after they died.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { orderEvents } from '@/db/schema';
import { inheritedEnvironment } from '@/server/env';

export interface WorkerProcess {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once it logged "worker started" (all its loops run); rejects, with its output, if it exits first. */
  ready: Promise<void>;
  output: () => string;
}

/**
 * Starts workers on `databaseUrl()` (read at each start: the test database is made in beforeAll) with the master key
 * and a deployment lease of `leaseMs`; `killAll` (for afterAll) kills with -9 those still running.
 */
export function workerProcesses(config: () => { databaseUrl: string; masterKey: string; leaseMs: number }) {
  const children = new Set<ChildProcess>();
  function start(id: string, env: Record<string, string> = {}): WorkerProcess {
    const { databaseUrl, masterKey, leaseMs } = config();
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/worker/main.ts'], {
      env: {
        PATH: inheritedEnvironment().PATH ?? '',
        LOG_LEVEL: 'info',
        DATABASE_URL: databaseUrl,
        CRYPTOBOT_MASTER_KEY: masterKey,
        WORKER_ID: id,
        CRYPTOBOT_DEPLOYMENT_LEASE_MS: String(leaseMs),
        ...env,
      } as unknown as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => {
        children.delete(child);
        resolve({ code, signal });
      }),
    );
    // Ready: all its loops run. A worker that exits first is a failure, reported with its output.
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', () => {
        if (output.includes('"worker started"')) resolve();
      });
      void exited.then(() => reject(new Error(`worker ${id} exited before it was ready: ${output.slice(-2000)}`)));
    });
    ready.catch(() => {});
    return { child, exited, ready, output: () => output };
  }
  return {
    start,
    killAll(): void {
      for (const child of children) child.kill('SIGKILL');
    },
  };
}

/** `promise`, or a failure naming `what` after `ms`: a watchdog for waits that must end, never a timing assertion. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const watchdog = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms / 1000} s`)), ms)));
  return Promise.race([promise, watchdog]).finally(() => clearTimeout(timer));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How many times each of the orders was acknowledged as sent (`sent_ack` events): exactly once each, after any crash. */
export async function sentAcks(db: Db, orderIds: readonly string[]): Promise<Array<{ orderId: string; n: number }>> {
  return db
    .select({ orderId: orderEvents.orderId, n: sql<number>`count(*)::int` })
    .from(orderEvents)
    .where(and(inArray(orderEvents.orderId, [...orderIds]), eq(orderEvents.type, 'sent_ack')))
    .groupBy(orderEvents.orderId);
}
