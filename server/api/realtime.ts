import { EventEmitter, on } from 'node:events';
import { getDatabase } from '@/db/client';
import { EVENTS_CHANNEL, parseAppEvent, type AppEvent, type UserAppEvent } from '@/server/services/events';
import { logger } from '@/server/logger';

/**
 * One LISTEN connection per web process, fanned out to every open subscription. Events come from
 * NOTIFY in services (and from workers on other machines), so a page updates without a reload.
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
    const ready = getDatabase()
      .sql.listen(EVENTS_CHANNEL, (payload) => {
        const event = parseAppEvent(payload);
        if (event) emitter.emit('event', event);
        else logger.warn({ channel: EVENTS_CHANNEL }, 'ignored a malformed event');
      })
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

/**
 * The events one user may see, as they happen, until `signal` aborts. Events without a userId are
 * not delivered to anyone: every event a service emits must name its owner.
 */
export async function* userEvents(userId: string, signal: AbortSignal | undefined, kinds?: ReadonlySet<UserAppEvent['kind']>): AsyncGenerator<UserAppEvent> {
  const closing = streamsClosing();
  closing.throwIfAborted();
  const { emitter, ready } = hub();
  await ready;
  const until = signal ? AbortSignal.any([signal, closing]) : closing;
  for await (const [event] of on(emitter, 'event', { signal: until }) as AsyncIterable<[AppEvent]>) {
    if (event.kind === 'job_queued' || event.userId !== userId) continue;
    if (kinds && !kinds.has(event.kind)) continue;
    yield event;
  }
}
