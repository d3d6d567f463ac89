'use client';

import { useQuery } from '@tanstack/react-query';
import { formatDateTime } from '@/components/format';
import { useTimeZone } from '@/components/format/time-zone';
import { useTRPC } from '@/components/trpc/client';

/**
 * The kill switch state (GET /api/v1/kill-switch): whether a latch halts this user's trading. Pages with live
 * updates refetch it on a `kill_switch` event (use-live-events.ts); elsewhere it is polled, so a latch engaged
 * from another tab or by an admin shows within half a minute.
 */
export function useKillSwitchState() {
  const trpc = useTRPC();
  return useQuery({ ...trpc.killSwitch.state.queryOptions(), staleTime: 10_000, refetchInterval: 30_000 });
}

/** Why trading is refused right now, for disabled buttons; null while the kill switch is released (or unknown). */
export function useTradingHalted(): string | null {
  const { data } = useKillSwitchState();
  const zone = useTimeZone();
  if (!data?.engaged) return null;
  return `The kill switch is engaged${data.scope === 'global' ? ' for everyone' : ''} (since ${formatDateTime(data.since, zone)}${data.by ? `, by ${data.by}` : ''}): new orders, deployments and resumes are refused until it is released.`;
}
