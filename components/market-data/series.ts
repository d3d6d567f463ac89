import { timeframeToMs } from '@/server/core/timeframe';

/** A timeframe's bar length in ms; 0 for one the core does not know. */
export function stepMs(timeframe: string): number {
  try {
    return timeframeToMs(timeframe);
  } catch {
    return 0;
  }
}

/** The timeframes every picker offers: the server's closed list (a `7h` is refused). */
export { TIMEFRAMES } from '@/server/core/timeframe';

/** The message of a tRPC or fetch error, for an error state. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : 'unexpected error';
}
