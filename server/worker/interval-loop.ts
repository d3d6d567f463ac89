import type { Logger } from '@/server/logger';

/**
 * The one way the worker runs periodic work (reconciler, equity snapshots, key rotation, throttle pruning, the
 * heartbeat): `pass(round)` runs at once (round 0), then again `every` ms after the previous pass ENDED — passes
 * never overlap, a slow pass delays the next instead of piling up. `every` is a number of ms (at least 100), or a
 * function giving the wait before the next pass (e.g. to land on a time grid). A failed pass is logged with
 * `failureMessage` and the loop goes on. Stops when `signal` is aborted or the returned function is called; that
 * function resolves once the pass in flight (if any) is done.
 */
export function runEveryInterval(
  { logger, signal }: { logger: Logger; signal: AbortSignal },
  every: number | (() => number),
  pass: (round: number) => Promise<void>,
  failureMessage: string,
): () => Promise<void> {
  const wait = typeof every === 'number' ? () => Math.max(every, 100) : () => Math.max(every(), 0);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let round = 0;
  const tick = () => {
    running = (async () => {
      try {
        await pass(round++);
      } catch (error) {
        logger.warn({ err: error }, failureMessage);
      }
      if (!stopped && !signal.aborted) timer = setTimeout(tick, wait());
    })();
  };
  const onAbort = () => clearTimeout(timer);
  signal.addEventListener('abort', onAbort, { once: true });
  tick();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
    await running;
  };
}
