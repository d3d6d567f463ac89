import { timeframeToMs } from '@/server/core/timeframe';

/** A UTC ms time in the user's zone, compact. */
export function formatTime(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function formatCount(n: number): string {
  return n.toLocaleString();
}

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
