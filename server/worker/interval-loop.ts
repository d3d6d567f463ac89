import type { Logger } from '@/server/logger';
import type { WorkerContext } from './loops';

/**
 * Runs `pass` at once and then every `intervalMs` (at least 100 ms) until the worker stops; a failed pass is
 * logged with `failureMessage` and tried again at the next interval. Returns the loop's stop function, which
 * resolves once the pass in flight (if any) is done.
 */
export function runEveryInterval(
  { logger, signal }: Pick<WorkerContext, 'signal'> & { logger: Logger },
  intervalMs: number,
  pass: () => Promise<void>,
  failureMessage: string,
): () => Promise<void> {
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = (async () => {
      try {
        await pass();
      } catch (error) {
        logger.warn({ err: error }, failureMessage);
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
}
