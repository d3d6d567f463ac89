import { autoRotateDueKeys, keysConfigFromEnv, type KeysConfig } from '@/server/services/keys';
import type { WorkerLoop } from './loops';

/**
 * The key-rotation loop: every `intervalMs` (API_KEY_ROTATION_INTERVAL_MS, default one minute) it issues
 * a successor for each API key close to its expiry (see autoRotateDueKeys). Several workers may run it
 * at once: keys are claimed with SKIP LOCKED and a key with a successor is never picked again.
 */
export function createKeyRotationLoop(options: { intervalMs?: number; config?: KeysConfig; now?: () => Date } = {}): WorkerLoop {
  return {
    name: 'key-rotation',
    async start({ database, logger, signal }) {
      const config = options.config ?? keysConfigFromEnv();
      const intervalMs = options.intervalMs ?? Number(process.env.API_KEY_ROTATION_INTERVAL_MS ?? 60_000);
      let running: Promise<void> = Promise.resolve();
      const tick = () => {
        running = (async () => {
          try {
            const issued = await autoRotateDueKeys(database.db, config, { now: options.now });
            if (issued > 0) logger.info({ issued }, 'issued successors for keys near expiry');
          } catch (error) {
            logger.warn({ err: error }, 'key rotation pass failed; retrying next interval');
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
