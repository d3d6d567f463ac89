'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useCallback, useEffect, useRef } from 'react';
import { useTRPC } from './client';
import { liveEventOf } from './use-live-events';

/** Events within this window become one round of refetches. */
const FLUSH_MS = 100;
/** Only when the subscription has failed: refetch this often instead. */
const FALLBACK_POLL_MS = 2_000;

/**
 * While `active`, refetches `queryKeys` whenever one of the user's jobs changes (`job` events: started,
 * progress, finished; server/services/events.ts), instead of polling. A backtest's or sweep's row is
 * written before its job's event is sent, so the refetch sees the new status. Each (re)connect refetches
 * once, for what happened before the stream was open; a failed stream falls back to polling.
 */
export function useJobEventRefetch(active: boolean, queryKeys: ReadonlyArray<readonly unknown[]>): void {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const keys = useRef(queryKeys);
  keys.current = queryKeys;
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  const refetch = useCallback(() => {
    for (const queryKey of keys.current) void queryClient.invalidateQueries({ queryKey });
  }, [queryClient]);

  const onData = useCallback(
    (item: Parameters<typeof liveEventOf>[0]) => {
      const event = liveEventOf(item);
      // A heartbeat only says the stream is alive: nothing changed.
      if (event.kind === 'heartbeat' || timer.current) return;
      timer.current = setTimeout(() => {
        timer.current = null;
        refetch();
      }, FLUSH_MS);
    },
    [refetch],
  );

  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );

  const subscription = useSubscription(trpc.events.stream.subscriptionOptions({ kinds: ['job'] }, { enabled: active, onData, onStarted: refetch }));
  const failed = active && subscription.status === 'error';
  useEffect(() => {
    if (!failed) return;
    const interval = setInterval(refetch, FALLBACK_POLL_MS);
    return () => clearInterval(interval);
  }, [failed, refetch]);
}
