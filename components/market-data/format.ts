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

export const TIMEFRAMES = ['1m', '5m', '15m', '1h', '4h', '1d'] as const;

/** The message of a tRPC or fetch error, for an error state. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : 'unexpected error';
}
