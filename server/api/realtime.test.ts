import { afterAll, expect, it } from 'vitest';
import { getDatabase } from '@/db/client';
import { notifyEvent } from '@/server/services/events';
import { userEvents } from './realtime';

afterAll(() => getDatabase().close());

it('delivers NOTIFY events to their owner only, filtered by kind, until aborted', async () => {
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
  // Give the LISTEN a moment to be registered before notifying.
  await new Promise((r) => setTimeout(r, 300));
  await notifyEvent(db, { kind: 'job', userId: 'user-b', jobId: 'not-mine' });
  await notifyEvent(db, { kind: 'job', userId: 'user-a', jobId: 'first' });
  await notifyEvent(db, { kind: 'order', userId: 'user-a', orderId: 'other-kind' });
  await notifyEvent(db, { kind: 'job', jobId: 'no-owner' });
  await notifyEvent(db, { kind: 'job', userId: 'user-a', jobId: 'second' });
  await consumer;
  expect(received.map((e) => (e as { jobId: string }).jobId), 'only user-a\'s job events, in order').toEqual(['first', 'second']);
});
