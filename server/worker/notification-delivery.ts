import { EVENTS_CHANNEL, parseAppEvent } from '@/server/services/events';
import { deliverDue, notificationKindOf, pruneOutbox, queueDailySummaries, type DeliveryPolicy, type NotificationDeps } from '@/server/services/notifications';
import { runEveryInterval } from './interval-loop';
import type { WorkerLoop } from './loops';
import { wakeableSleep } from './wakeable-sleep';

/**
 * Sends the notification outbox (server/services/notifications/delivery.ts): passes back to back while there is
 * work, else a short sleep that an event which may have queued a notification cuts short (a fill reaches its
 * webhook well within a second). Sending happens outside any transaction; several workers share the outbox
 * through its leases. Beside it, an hourly pass queues the daily summaries (once per channel and day) and forgets
 * deliveries older than 30 days.
 */
export function createNotificationDeliveryLoop(
  options: { pollMs?: number; limit?: number; policy?: DeliveryPolicy; deps?: NotificationDeps; summaryIntervalMs?: number } = {},
): WorkerLoop {
  const pollMs = options.pollMs ?? 1_000;
  return {
    name: 'notification-delivery',
    async start({ database, workerId, logger, signal }) {
      const pause = wakeableSleep();
      // Set by an event that arrives during a pass, so the pass after it runs at once instead of after a sleep.
      let woken = false;
      const listener = await database.sql
        .listen(EVENTS_CHANNEL, (payload) => {
          const event = parseAppEvent(payload);
          if (!event || !notificationKindOf(event)) return;
          woken = true;
          pause.wake();
        })
        .catch((error: unknown) => {
          logger.warn({ err: error }, 'LISTEN failed; polling only');
          return null;
        });
      const onAbort = () => pause.wake();
      signal.addEventListener('abort', onAbort, { once: true });

      let stopped = false;
      const running = (async () => {
        while (!stopped && !signal.aborted) {
          woken = false;
          try {
            const result = await deliverDue(database.db, workerId, { limit: options.limit, policy: options.policy, deps: options.deps });
            if (result.retrying || result.dead) logger.warn({ ...result }, 'notification deliveries failed');
            if (result.claimed > 0) continue;
          } catch (error) {
            logger.warn({ err: error }, 'notification delivery pass failed; retrying');
          }
          if (!woken) await pause.sleep(pollMs);
        }
      })();

      const stopSummaries = runEveryInterval(
        { logger, signal },
        options.summaryIntervalMs ?? 3_600_000,
        async () => {
          const queued = await queueDailySummaries(database.db);
          if (queued > 0) logger.info({ queued }, 'queued daily notification summaries');
          const pruned = await pruneOutbox(database.db);
          if (pruned > 0) logger.info({ pruned }, 'pruned old notification deliveries');
        },
        'queueing daily summaries failed; retrying next interval',
      );

      return async () => {
        stopped = true;
        signal.removeEventListener('abort', onAbort);
        pause.wake();
        await Promise.all([stopSummaries(), running]);
        await listener?.unlisten().catch(() => undefined);
      };
    },
  };
}
