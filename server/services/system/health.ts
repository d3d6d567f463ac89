import { and, desc, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { workerHeartbeats } from '@/db/schema';

export interface HealthReport {
  status: 'ok' | 'degraded';
  db: 'ok' | 'down';
  worker: { lastHeartbeat: string | null };
  error?: string;
}

/** The database answers, and when the newest worker heartbeat was. */
export async function checkHealth(db: Db): Promise<HealthReport> {
  try {
    await db.execute(sql`select 1`);
  } catch {
    return { status: 'degraded', db: 'down', worker: { lastHeartbeat: null }, error: 'database unreachable' };
  }
  const [latest] = await db
    .select({ at: workerHeartbeats.lastHeartbeatAt })
    .from(workerHeartbeats)
    .where(isNull(workerHeartbeats.stoppedAt))
    .orderBy(desc(workerHeartbeats.lastHeartbeatAt))
    .limit(1);
  return { status: 'ok', db: 'ok', worker: { lastHeartbeat: latest?.at.toISOString() ?? null } };
}

/**
 * Whether a worker on `hostname` beat within `maxAgeMs` (and has not stopped): a container's health check
 * (server/cli/worker-health.ts), where the hostname is the container's own. Compared on the database's clock.
 */
export async function workerAliveOnHost(db: Db, hostname: string, maxAgeMs: number): Promise<boolean> {
  const [row] = await db
    .select({ workerId: workerHeartbeats.workerId })
    .from(workerHeartbeats)
    .where(
      and(
        eq(workerHeartbeats.hostname, hostname),
        isNull(workerHeartbeats.stoppedAt),
        gt(workerHeartbeats.lastHeartbeatAt, sql`now() - make_interval(secs => ${maxAgeMs / 1000})`),
      ),
    )
    .limit(1);
  return row !== undefined;
}
