import { performance } from 'node:perf_hooks';

/** Wall time of fn in ms, and its result (kept so the work cannot be optimised away). */
export function timeIt<T>(fn: () => T): { ms: number; result: T } {
  const started = performance.now();
  const result = fn();
  return { ms: performance.now() - started, result };
}

export async function timeAsync<T>(fn: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const started = performance.now();
  const result = await fn();
  return { ms: performance.now() - started, result };
}

/** Lets pending timers and I/O run, and gives the GC a chance, between measured runs. */
export function settle(ms = 20): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
