import { desc, isNull, sql } from 'drizzle-orm';
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
