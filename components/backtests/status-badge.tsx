import { cn } from '@/components/ui/cn';

const TONES: Record<string, string> = {
  queued: 'border-border text-muted',
  running: 'border-accent/50 text-accent',
  completed: 'border-gain/50 text-gain',
  failed: 'border-loss/50 text-loss',
  canceled: 'border-border text-muted',
  draft: 'border-border text-muted',
  backtested: 'border-accent/50 text-accent',
  paper: 'border-warn/50 text-warn',
  live: 'border-gain/50 text-gain',
  paused: 'border-warn/50 text-warn',
  stopped: 'border-border text-muted',
  archived: 'border-border text-muted line-through',
};

/** A status as a small bordered label (text, not only colour). */
export function StatusBadge({ status, className }: { status: string; className?: string }) {
  return (
    <span
      data-testid="status"
      className={cn('inline-flex items-center rounded border px-1.5 py-0.5 text-xs font-medium', TONES[status] ?? 'border-border', className)}
    >
      {status}
    </span>
  );
}
