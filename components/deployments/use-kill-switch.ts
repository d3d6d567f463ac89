'use client';

import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useCallback } from 'react';
import { formatDateTime } from '@/components/keys/format';
import { useTRPC } from '@/components/trpc/client';

/** The kill switch state (GET /api/v1/kill-switch): whether a latch halts this user's trading. */
export function useKillSwitchState() {
  const trpc = useTRPC();
  return useQuery({ ...trpc.killSwitch.state.queryOptions(), staleTime: 10_000 });
}

/** Why trading is refused right now, for disabled buttons; null while the kill switch is released (or unknown). */
export function useTradingHalted(): string | null {
  const { data } = useKillSwitchState();
  if (!data?.engaged) return null;
  return `The kill switch is engaged${data.scope === 'global' ? ' for everyone' : ''} (since ${formatDateTime(data.since)}${data.by ? `, by ${data.by}` : ''}): new orders, deployments and resumes are refused until it is released.`;
}

/** Keeps the state (and what engaging or releasing changed) fresh when the latch moves elsewhere: another tab, an admin. */
export function useKillSwitchEvents(): void {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const onData = useCallback(() => {
    for (const queryKey of [trpc.killSwitch.pathKey(), trpc.deployments.pathKey(), trpc.orders.list.queryKey(), trpc.alerts.pathKey()]) void queryClient.invalidateQueries({ queryKey });
  }, [trpc, queryClient]);
  useSubscription(trpc.events.stream.subscriptionOptions({ kinds: ['kill_switch'] }, { onData }));
}
