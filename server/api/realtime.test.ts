import { afterAll, expect, it } from 'vitest';
import { getDatabase } from '@/db/client';
import { queryRows } from '@/db/raw';
import { EVENTS_CHANNEL, jobEvent, jobQueuedEvent, notifyEvent, orderEvent } from '@/server/services/events';
import { userEvents, whenListening } from './realtime';

afterAll(() => getDatabase().close());

it('delivers NOTIFY events to their owner only, filtered by kind, until aborted; malformed payloads are skipped', async () => {
  const db = getDatabase().db;
  const controller = new AbortController();
  const received: unknown[] = [];
  const consumer = (async () => {
    try {
      for await (const event of userEvents('user-a', controller.signal, new Set(['job']))) {
        received.push(event);
        if (received.length === 2) controller.abort();
      }
    } catch (error) {
      if ((error as Error).name !== 'AbortError') throw error;
    }
  })();
  await whenListening();
  const job = (userId: string | null, jobId: string) => jobEvent({ userId, jobId, status: 'running', progress: 0.5 });
  await notifyEvent(db, job('user-b', 'not-mine'));
  await queryRows(db, 'select pg_notify($1, $2), pg_notify($1, $3)', [
    EVENTS_CHANNEL,
    'not json',
    JSON.stringify({ kind: 'job', userId: 'user-a', jobId: 'no-status' }),
  ]);
  await notifyEvent(db, job('user-a', 'first'));
  await notifyEvent(db, orderEvent({ userId: 'user-a', orderId: 'other-kind', status: 'open', deploymentId: null }));
  await notifyEvent(db, job(null, 'no-owner'));
  await notifyEvent(db, jobQueuedEvent({ jobId: 'queued-no-owner', type: 'backtest.run' }));
  await notifyEvent(db, job('user-a', 'second'));
  await consumer;
  expect(received, "only user-a's well-formed job events, in order, as sent").toEqual([job('user-a', 'first'), job('user-a', 'second')]);
});
