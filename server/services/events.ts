import { sql } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';

/**
 * Real-time events over PostgreSQL NOTIFY on one channel. The web server LISTENs and fans them out to
 * tRPC subscriptions; inside a transaction, the notification is delivered only if it commits.
 */
export const EVENTS_CHANNEL = 'cryptobot_events';

/**
 * An event: `kind` says what changed, `userId` whose it is (events are delivered only to their owner),
 * and the rest carries ids to refetch by, e.g. { kind: 'job', jobId, userId, status, progress }.
 */
export interface AppEvent {
  kind: string;
  userId?: string | null;
  [key: string]: unknown;
}

export async function notifyEvent(db: DbOrTx, event: AppEvent): Promise<void> {
  await db.execute(sql`select pg_notify(${EVENTS_CHANNEL}, ${JSON.stringify(event)})`);
}

/** Several events in one statement (one round trip); in a transaction, all are delivered at its commit, in order. */
export async function notifyEvents(db: DbOrTx, events: readonly AppEvent[]): Promise<void> {
  if (events.length === 0) return;
  await db.execute(sql`select ${sql.join(events.map((event) => sql`pg_notify(${EVENTS_CHANNEL}, ${JSON.stringify(event)})`), sql`, `)}`);
}
