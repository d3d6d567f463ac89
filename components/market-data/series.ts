import { timeframeToMs } from '@/server/core/timeframe';

/** A timeframe's bar length in ms; 0 for one the core does not know. */
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
