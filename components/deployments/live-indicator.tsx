import type { LiveStatus } from '@/components/trpc/use-live-events';
import { cn } from '@/components/ui/cn';

const TEXT: Record<LiveStatus, string> = {
  live: 'Live',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  polling: 'Live updates off — refreshing every 15 s',
};

/** Whether the page is receiving live updates (SSE), reconnecting, or polling after the stream failed. */
export function LiveIndicator({ status }: { status: LiveStatus }) {
  return (
    <span
      data-testid="live-status"
      data-status={status}
      className={cn('inline-flex items-center gap-1.5 text-xs', status === 'live' ? 'text-gain' : status === 'polling' ? 'text-warn' : 'text-muted')}
    >
      <span aria-hidden className={cn('h-2 w-2 rounded-full', status === 'live' ? 'bg-gain' : status === 'polling' ? 'bg-warn' : 'animate-pulse bg-muted')} />
      {TEXT[status]}
    </span>
  );
}
