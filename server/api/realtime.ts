import { EventEmitter, on } from 'node:events';
import { getDatabase } from '@/db/client';
import { EVENTS_CHANNEL, type AppEvent } from '@/server/services/events';
import { logger } from '@/server/logger';

/**
 * One LISTEN connection per web process, fanned out to every open subscription. Events come from
 * NOTIFY in services (and from workers on other machines), so a page updates without a reload.
 */
const globalForRealtime = globalThis as unknown as { cryptobotRealtime?: { emitter: EventEmitter; ready: Promise<void> } };

function hub() {
  if (!globalForRealtime.cryptobotRealtime) {
    const emitter = new EventEmitter();
    emitter.setMaxListeners(0);
    const ready = getDatabase()
      .sql.listen(EVENTS_CHANNEL, (payload) => {
        try {
          emitter.emit('event', JSON.parse(payload) as AppEvent);
        } catch {
          logger.warn({ channel: EVENTS_CHANNEL }, 'ignored a malformed event');
        }
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

/**
 * The events one user may see, as they happen, until `signal` aborts. Events without a userId are
 * not delivered to anyone: every event a service emits must name its owner.
 */
export async function* userEvents(userId: string, signal: AbortSignal | undefined, kinds?: ReadonlySet<string>): AsyncGenerator<AppEvent> {
  const { emitter, ready } = hub();
  await ready;
  for await (const [event] of on(emitter, 'event', { signal }) as AsyncIterable<[AppEvent]>) {
    if (event.userId !== userId) continue;
    if (kinds && !kinds.has(event.kind)) continue;
    yield event;
  }
}
