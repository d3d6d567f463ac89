import { EventEmitter, on } from 'node:events';
import { getDatabase, getListenDatabase } from '@/db/client';
import { EVENTS_CHANNEL, parseSequencedEvent, userEventsAfter, type SequencedEvent, type UserAppEvent } from '@/server/services/events';
import { logger } from '@/server/logger';

/**
 * One LISTEN connection per web process, fanned out to every open subscription. Events come from
 * NOTIFY in services (and from workers on other machines), so a page updates without a reload. The LISTEN is on
 * the direct connection (DIRECT_DATABASE_URL) when DATABASE_URL goes through a transaction-mode pooler.
 */
const globalForRealtime = globalThis as unknown as {
  cryptobotRealtime?: { emitter: EventEmitter; ready: Promise<void> };
  cryptobotStreamsClosing?: AbortController;
};

/**
 * Aborted when the process is asked to stop (SIGTERM, SIGINT): every open stream ends, and new ones end
 * at once. An open SSE response would otherwise keep `next start` alive (it waits for every request to
 * finish) until the browser goes away. A stream ended this way is an error to the client, which shows
 * "reconnecting" and reconnects to the next server, not a completed subscription.
 */
function streamsClosing(): AbortSignal {
  if (!globalForRealtime.cryptobotStreamsClosing) {
    const controller = new AbortController();
    globalForRealtime.cryptobotStreamsClosing = controller;
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        controller.abort();
        // Only a listener of our own: keep the signal's default (exit) for a process nobody else stops.
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      });
    }
  }
  return globalForRealtime.cryptobotStreamsClosing.signal;
}

function hub() {
  if (!globalForRealtime.cryptobotRealtime) {
    const emitter = new EventEmitter();
    emitter.setMaxListeners(0);
    // In a promise: a missing DIRECT_DATABASE_URL (a ConfigError) is logged like a failed LISTEN.
    const ready = Promise.resolve()
      .then(() => getListenDatabase().sql)
      .then((sql) =>
        sql.listen(EVENTS_CHANNEL, (payload) => {
          const event = parseSequencedEvent(payload);
          if (event) emitter.emit('event', event);
          else logger.warn({ channel: EVENTS_CHANNEL }, 'ignored a malformed event');
        }),
      )
      .then(() => undefined);
    ready.catch((error: unknown) => {
      logger.error({ err: error }, 'LISTEN failed; live updates are off until restart');
      globalForRealtime.cryptobotRealtime = undefined;
    });
    globalForRealtime.cryptobotRealtime = { emitter, ready };
  }
  return globalForRealtime.cryptobotRealtime;
}

/** Resolves once this process LISTENs (a test notifies only then). */
export function whenListening(): Promise<void> {
  return hub().ready;
}

/** A user's event and its number in the event log (server/services/events.ts), the id a stream sends with it. */
export interface UserEvent {
  seq: number | null;
  event: UserAppEvent;
}

/**
 * The events one user may see, as they happen, until `signal` aborts. Events without a userId are
 * not delivered to anyone: every event a service emits must name its owner.
 *
 * With `afterSeq` (a resuming stream's last event id), first the user's logged events numbered after it, oldest
 * first, then the live ones, none twice: the LISTEN subscription is taken before the log is read, so an event
 * committed in between arrives live, and one both read and heard is skipped. Limits (docs/architecture.md, "Live
 * streams"): the log keeps an hour of events and a resume replays at most REPLAY_LIMIT; numbers are taken when an
 * event is written, so two of the user's transactions committing in the other order around a disconnect can make a
 * resume miss the lower-numbered one.
 */
export async function* userEvents(
  userId: string,
  signal: AbortSignal | undefined,
  kinds?: ReadonlySet<UserAppEvent['kind']>,
  afterSeq?: number,
): AsyncGenerator<UserEvent> {
  const closing = streamsClosing();
  closing.throwIfAborted();
  const { emitter, ready } = hub();
  await ready;
  const until = signal ? AbortSignal.any([signal, closing]) : closing;
  const live = on(emitter, 'event', { signal: until }) as AsyncIterableIterator<[SequencedEvent]>;
  const replayed = new Set<number>();
  if (afterSeq !== undefined) {
    for (const item of await userEventsAfter(getDatabase().db, userId, afterSeq)) {
      replayed.add(item.seq);
      if (kinds && !kinds.has(item.event.kind)) continue;
      yield item;
    }
  }
  for await (const [{ seq, event }] of live) {
    if (event.kind === 'job_queued' || event.userId !== userId) continue;
    if (kinds && !kinds.has(event.kind)) continue;
    if (seq !== null && replayed.delete(seq)) continue;
    yield { seq, event };
  }
}

/** How often an open stream says it is alive when nothing else happens (the client greys out after missing two). */
export const HEARTBEAT_MS = 10_000;

/** "The stream is alive": sent at once on connecting and after every HEARTBEAT_MS without an event. */
export interface HeartbeatEvent {
  kind: 'heartbeat';
  /** ISO time the server sent it. */
  at: string;
}

const heartbeat = (): HeartbeatEvent => ({ kind: 'heartbeat', at: new Date().toISOString() });

/**
 * `source`'s events, with a heartbeat first and after every `intervalMs` of silence, so a client can tell a
 * quiet stream from a dead one (a proxy that holds the connection open, a server that stopped sending).
 * Ends when `source` ends or throws (e.g. aborted).
 */
export async function* withHeartbeats<T>(source: AsyncIterable<T>, intervalMs = HEARTBEAT_MS): AsyncGenerator<T | HeartbeatEvent> {
  const iterator = source[Symbol.asyncIterator]();
  try {
    yield heartbeat();
    let next = iterator.next();
    for (;;) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const silence = new Promise<'silence'>((resolve) => {
        timer = setTimeout(() => resolve('silence'), intervalMs);
      });
      const result = await Promise.race([next, silence]).finally(() => clearTimeout(timer));
      if (result === 'silence') {
        yield heartbeat();
        continue;
      }
      if (result.done) return;
      yield result.value;
      next = iterator.next();
    }
  } finally {
    // Not awaited: a source suspended in its own next() (waiting for an event) finishes returning only once that
    // settles, which the request's abort signal brings about; the stream's consumer need not wait for it.
    void iterator.return?.()?.catch(() => undefined);
  }
}
