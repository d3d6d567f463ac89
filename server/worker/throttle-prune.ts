import { pruneThrottles } from '@/server/services/auth/throttle';
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
      let running: Promise<void> = Promise.resolve();
      const tick = () => {
        running = (async () => {
          try {
            const pruned = await pruneThrottles(database.db);
            if (pruned > 0) logger.info({ pruned }, 'pruned finished throttle windows');
          } catch (error) {
            logger.warn({ err: error }, 'pruning throttle windows failed; retrying next interval');
          }
        })();
      };
      tick();
      const timer = setInterval(() => {
        if (!signal.aborted) tick();
      }, Math.max(intervalMs, 100));
      return async () => {
        clearInterval(timer);
        await running;
      };
    },
  };
}
