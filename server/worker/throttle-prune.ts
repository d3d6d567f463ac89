import { pruneThrottles } from '@/server/services/auth/throttle';
import { runEveryInterval } from './interval-loop';
import type { WorkerLoop } from './loops';

/**
 * Hourly, deletes the authentication throttles' counters of windows that are over (see pruneThrottles),
 * so keys that are never presented again (sprayed usernames, passing IPs) do not pile up. Several
 * workers may run it at once: deleting is idempotent.
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
        },
        'pruning throttle windows failed; retrying next interval',
      );
    },
  };
}
