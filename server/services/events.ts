import type { DbOrTx } from '@/db/client';
import { queryRows } from '@/db/raw';

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

export function notifyEvent(db: DbOrTx, event: AppEvent): Promise<void> {
  return notifyEvents(db, [event]);
}

/**
 * Several events in one prepared statement, issued at the call (so it goes out in order with the caller's other
 * statements); in a transaction, all are delivered at its commit, in order.
 */
export async function notifyEvents(db: DbOrTx, events: readonly AppEvent[]): Promise<void> {
  if (events.length === 0) return;
  await queryRows(db, `select ${events.map((_, i) => `pg_notify($1, $${i + 2})`).join(', ')}`, [EVENTS_CHANNEL, ...events.map((event) => JSON.stringify(event))]);
}
