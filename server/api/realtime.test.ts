import { afterAll, expect, it, vi } from 'vitest';
import { getDatabase } from '@/db/client';
import { queryRows } from '@/db/raw';
import { EVENTS_CHANNEL, jobEvent, jobQueuedEvent, notifyEvent, orderEvent } from '@/server/services/events';
import { userEvents, whenListening, withHeartbeats } from './realtime';

afterAll(() => getDatabase().close());

it('delivers NOTIFY events to their owner only, filtered by kind, until aborted; malformed payloads are skipped', async () => {
  const db = getDatabase().db;
  const controller = new AbortController();
  const received: unknown[] = [];
  const consumer = (async () => {
    try {
      for await (const { event } of userEvents('user-a', controller.signal, new Set(['job']))) {
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

it('sends a heartbeat at once and after every interval of silence, passes events through, and ends with its source', async () => {
  vi.useFakeTimers();
  try {
    let release: (() => void) | undefined;
    const source = (async function* () {
      await new Promise<void>((resolve) => (release = resolve));
      yield 'fill';
    })();
    const kinds: string[] = [];
    const consumer = (async () => {
      for await (const item of withHeartbeats(source, 10_000)) kinds.push(typeof item === 'string' ? item : item.kind);
    })();
    await vi.advanceTimersByTimeAsync(0);
    expect(kinds, 'a heartbeat as soon as the stream opens').toEqual(['heartbeat']);
    await vi.advanceTimersByTimeAsync(9_999);
    expect(kinds, 'nothing more before the interval has passed').toEqual(['heartbeat']);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(kinds, 'one heartbeat per interval of silence').toEqual(['heartbeat', 'heartbeat', 'heartbeat']);
    release!();
    await vi.advanceTimersByTimeAsync(0);
    await consumer;
    expect(kinds, 'the event goes through, then the stream ends with its source').toEqual(['heartbeat', 'heartbeat', 'heartbeat', 'fill']);
  } finally {
    vi.useRealTimers();
  }
});

it('a consumer that stops listening ends the heartbeats at once, and the source is told to return', async () => {
  let returned = false;
  const source: AsyncIterable<string> = {
    [Symbol.asyncIterator]: () => ({
      next: () => new Promise<IteratorResult<string>>(() => {}),
      return: async () => {
        returned = true;
        return { done: true, value: undefined };
      },
    }),
  };
  const stream = withHeartbeats(source, 60_000);
  expect((await stream.next()).value).toMatchObject({ kind: 'heartbeat' });
  expect(await stream.return(undefined), 'ends without waiting for an event or the next heartbeat').toEqual({ done: true, value: undefined });
  expect(returned, 'the source was told to stop').toBe(true);
});
