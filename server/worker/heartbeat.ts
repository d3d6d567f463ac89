import os from 'node:os';
import { eq, sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { workerHeartbeats } from '@/db/schema';

/** Registers a worker and renews its heartbeat; `stop` marks it stopped. */
export async function startHeartbeat(db: Db, workerId: string, intervalMs: number, onError: (error: unknown) => void) {
  await db
    .insert(workerHeartbeats)
    .values({ workerId, hostname: os.hostname(), pid: process.pid })
    .onConflictDoUpdate({ target: workerHeartbeats.workerId, set: { lastHeartbeatAt: sql`now()`, stoppedAt: null, pid: process.pid } });
  const timer = setInterval(() => {
    db.update(workerHeartbeats).set({ lastHeartbeatAt: sql`now()` }).where(eq(workerHeartbeats.workerId, workerId)).catch(onError);
  }, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await db.update(workerHeartbeats).set({ stoppedAt: sql`now()` }).where(eq(workerHeartbeats.workerId, workerId));
    },
  };
}
