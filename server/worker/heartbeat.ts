import os from 'node:os';
import { eq, sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { workerHeartbeats } from '@/db/schema';
import type { Logger } from '@/server/logger';
import { runEveryInterval } from './interval-loop';

/** Registers a worker and renews its heartbeat every `intervalMs`; `stop` marks it stopped. */
export async function startHeartbeat(db: Db, workerId: string, intervalMs: number, { logger, signal }: { logger: Logger; signal: AbortSignal }) {
  await db
    .insert(workerHeartbeats)
    .values({ workerId, hostname: os.hostname(), pid: process.pid })
    .onConflictDoUpdate({ target: workerHeartbeats.workerId, set: { lastHeartbeatAt: sql`now()`, stoppedAt: null, pid: process.pid } });
  const stopBeating = runEveryInterval(
    { logger, signal },
    intervalMs,
    async () => {
      await db
        .update(workerHeartbeats)
        .set({ lastHeartbeatAt: sql`now()` })
        .where(eq(workerHeartbeats.workerId, workerId));
    },
    'heartbeat failed',
  );
  return {
    async stop() {
      await stopBeating();
      await db
        .update(workerHeartbeats)
        .set({ stoppedAt: sql`now()` })
        .where(eq(workerHeartbeats.workerId, workerId));
    },
  };
}
