import { randomBytes } from 'node:crypto';
import superjson from 'superjson';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { GET } from '@/app/api/trpc/[trpc]/route';
import { getDatabase } from '@/db/client';
import { registerUser } from '@/server/services/auth/users';
import { EVENT_LOG_KEEP_MS, jobEvent, notifyEvent, notifyEvents, pruneEventLog, userEventsAfter, type JobAppEvent } from '@/server/services/events';
import { createKey } from '@/server/services/keys';

// A platform's function time limit, shortened: the server ends every stream after 2 s (server/api/trpc.ts).
vi.stubEnv('CRYPTOBOT_STREAM_MAX_SECONDS', '2');

let key: string;
let userId: string;
let otherId: string;

beforeAll(async () => {
  const db = getDatabase().db;
  const suffix = randomBytes(4).toString('hex');
  const user = await registerUser(db, { username: `stream-${suffix}`, password: 'long enough pw' });
  userId = user.id;
  otherId = (await registerUser(db, { username: `other-${suffix}`, password: 'long enough pw' })).id;
  key = (await createKey(db, { id: user.id, role: user.role, scopes: ['read'], apiKeyId: null }, { name: 'stream', scopes: ['read'] })).key;
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await getDatabase().close();
});

interface SseMessage {
  event: string | null;
  id: string | null;
  data: string;
}

/** An open SSE response of the tRPC route, read message by message. */
function openStream(lastEventId: string) {
  const input = encodeURIComponent(JSON.stringify(superjson.serialize({ kinds: ['job'] })));
  const request = new Request(`http://localhost/api/trpc/events.stream?input=${input}`, {
    headers: { authorization: `Bearer ${key}`, accept: 'text/event-stream', 'last-event-id': lastEventId },
  });
  const response = GET(request);
  const messages: SseMessage[] = [];
  let ended = false;
  const done = (async () => {
    const body = (await response).body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done: finished } = await body.read();
      if (finished) break;
      buffer += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const message: SseMessage = { event: null, id: null, data: '' };
        for (const line of block.split('\n')) {
          const [field, ...rest] = line.split(':');
          const text = rest.join(':').replace(/^ /, '');
          if (field === 'event') message.event = text;
          else if (field === 'id') message.id = text;
          else if (field === 'data') message.data += text;
        }
        messages.push(message);
      }
    }
    ended = true;
  })();
  /** The job events received (numbered ones), in order. */
  const events = () =>
    messages
      .filter((m) => m.event === null && m.id)
      .map((m) => ({ id: m.id!, event: superjson.deserialize<JobAppEvent>(JSON.parse(m.data) as Parameters<typeof superjson.deserialize>[0]) }));
  const heartbeats = () => messages.filter((m) => m.event === null && m.data.includes('heartbeat')).length;
  return { events, heartbeats, done, ended: () => ended, response, messages };
}

const job = (owner: string, jobId: string) => jobEvent({ userId: owner, jobId, status: 'completed', progress: 1 });

it('a stream ended by the time limit resumes from its last event id: every event sent meanwhile, in order, none twice', { timeout: 60_000 }, async () => {
  const db = getDatabase().db;
  // Resuming from 0 replays this (new) user's whole log: nothing yet; an event sent before the live subscription
  // is taken would be replayed, so the test needs no wait for it.
  const opened = Date.now();
  const first = openStream('0');
  expect((await first.response).headers.get('content-type')).toContain('text/event-stream');
  await expect.poll(() => first.heartbeats(), { timeout: 10_000 }).toBeGreaterThan(0);
  await notifyEvent(db, job(userId, 'before-1'));
  await notifyEvent(db, job(otherId, 'not-mine-1'));
  await notifyEvent(db, job(userId, 'before-2'));
  await expect.poll(() => first.events().map((e) => e.event.jobId), { timeout: 10_000 }).toEqual(['before-1', 'before-2']);

  await first.done;
  const lasted = Date.now() - opened;
  expect(lasted, 'ended by the server after CRYPTOBOT_STREAM_MAX_SECONDS').toBeGreaterThanOrEqual(1_900);
  expect(lasted).toBeLessThan(15_000);
  const lastId = first.events().at(-1)!.id;

  // While no stream is open: single events, two in one transaction, another user's.
  await notifyEvent(db, job(userId, 'missed-1'));
  await db.transaction((tx) => notifyEvents(tx, [job(userId, 'missed-2'), job(otherId, 'not-mine-2'), job(userId, 'missed-3')]));
  await notifyEvent(db, job(userId, 'missed-4'));

  const second = openStream(lastId);
  await expect.poll(() => second.events().length, { timeout: 10_000 }).toBe(4);
  await notifyEvent(db, job(userId, 'live-after-resume'));
  await expect.poll(() => second.events().length, { timeout: 10_000 }).toBe(5);
  const resumed = second.events();
  expect(
    resumed.map((e) => e.event.jobId),
    'the missed events first, in order, then live; none of before-*, none twice',
  ).toEqual(['missed-1', 'missed-2', 'missed-3', 'missed-4', 'live-after-resume']);
  expect(resumed.every((e) => e.event.userId === userId)).toBe(true);
  const ids = [lastId, ...resumed.map((e) => e.id)].map(Number);
  expect(
    ids.every((id, i) => i === 0 || id > ids[i - 1]!),
    `ids increase: ${ids.join(', ')}`,
  ).toBe(true);
  await second.done;
  expect(second.ended(), 'the resumed stream is ended by the limit too').toBe(true);
});

it('refuses a Last-Event-ID that is not one of its ids with a 400 naming the field, and sends no event', async () => {
  const stream = openStream('abc');
  await stream.done;
  const error = stream.messages.find((m) => m.event === 'serialized-error');
  const shape = JSON.parse(error?.data ?? '{}') as { json?: { data?: { httpStatus?: number; fields?: Array<{ field: string }> } } };
  expect(shape.json?.data?.httpStatus).toBe(400);
  expect(shape.json?.data?.fields?.map((f) => f.field)).toEqual(['lastEventId']);
  expect(stream.events()).toEqual([]);
});

it("keeps an hour of events: the worker's hourly pass prunes older ones, and a resume past them replays nothing", async () => {
  const db = getDatabase().db;
  await notifyEvent(db, job(userId, 'to-prune'));
  expect((await userEventsAfter(db, userId, 0)).map((e) => (e.event.kind === 'job' ? e.event.jobId : e.event.kind))).toContain('to-prune');
  expect(await pruneEventLog(db, Date.now() - EVENT_LOG_KEEP_MS), 'nothing is an hour old yet').toBe(0);
  expect(await pruneEventLog(db, Date.now() + EVENT_LOG_KEEP_MS + 1_000)).toBeGreaterThan(0);
  expect(await userEventsAfter(db, userId, 0)).toEqual([]);
  // Progress is NOTIFY-only: never logged, so a resume never replays it.
  await notifyEvent(db, jobEvent({ userId, jobId: 'progress', status: 'running', progress: 0.3 }));
  expect(await userEventsAfter(db, userId, 0)).toEqual([]);
});
