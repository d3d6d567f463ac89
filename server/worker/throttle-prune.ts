import { pruneThrottles } from '@/server/services/auth/throttle';
import { pruneEventLog } from '@/server/services/events';
import { runEveryInterval } from './interval-loop';
import type { WorkerLoop } from './loops';

/**
 * Hourly, deletes the authentication throttles' counters of windows that are over (see pruneThrottles),
 * so keys that are never presented again (sprayed usernames, passing IPs) do not pile up. Several
 * workers may run it at once: deleting is idempotent. The same pass deletes the event log's events older than an
 * hour (the window in which a live stream can resume, server/services/events.ts).
 */
export function createThrottlePruneLoop(options: { intervalMs?: number } = {}): WorkerLoop {
  return {
    name: 'throttle-prune',
    async start({ database, logger, signal }) {
      const intervalMs = options.intervalMs ?? 3_600_000;
      return runEveryInterval(
        { logger, signal },
        intervalMs,
        async () => {
          const pruned = await pruneThrottles(database.db);
          if (pruned > 0) logger.info({ pruned }, 'pruned finished throttle windows');
          const events = await pruneEventLog(database.db);
          if (events > 0) logger.info({ events }, 'pruned the event log');
        },
        'pruning throttle windows failed; retrying next interval',
      );
    },
  };
}
