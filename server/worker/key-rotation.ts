import { defaultWorkerLoopSettings } from '@/server/env';
import { keysConfig } from '@/server/env';
import { autoRotateDueKeys, type KeysConfig } from '@/server/services/keys';
import { runEveryInterval } from './interval-loop';
import type { WorkerLoop } from './loops';

/**
 * The key-rotation loop: every `intervalMs` (API_KEY_ROTATION_INTERVAL_MS, default one minute) it issues
 * a successor for each API key close to its expiry (see autoRotateDueKeys). Several workers may run it
 * at once: keys are claimed with SKIP LOCKED and a key with a successor is never picked again.
 */
export function createKeyRotationLoop(options: { intervalMs?: number; config?: KeysConfig; now?: () => Date } = {}): WorkerLoop {
  return {
    name: 'key-rotation',
    async start({ database, logger, signal, settings }) {
      const config = options.config ?? keysConfig();
      const intervalMs = options.intervalMs ?? (settings ?? defaultWorkerLoopSettings()).API_KEY_ROTATION_INTERVAL_MS;
      return runEveryInterval(
        { logger, signal },
        intervalMs,
        async () => {
          const issued = await autoRotateDueKeys(database.db, config, { now: options.now });
          if (issued > 0) logger.info({ issued }, 'issued successors for keys near expiry');
        },
        'key rotation pass failed; retrying next interval',
      );
    },
  };
}
