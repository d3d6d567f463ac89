import { AlertTriangle, Inbox } from 'lucide-react';
import type { ReactNode } from 'react';
import { cn } from './cn';

/** A placeholder block of the final content's size, so nothing shifts when data arrives. */
export function Skeleton({ className }: { className?: string }) {
  return <div aria-hidden className={cn('animate-pulse rounded-md bg-panel-2', className)} />;
}

/** A loading list: `rows` skeleton rows of the given height, stacked like the list that will replace them. */
export function SkeletonRows({ rows, className = 'h-10', gap = 'space-y-2' }: { rows: number; className?: string; gap?: string }) {
  return (
    <div className={gap} aria-busy="true">
      {Array.from({ length: rows }, (_, i) => (
        <Skeleton key={i} className={className} />
      ))}
    </div>
  );
}

export function EmptyState({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <div data-empty-state className="flex flex-col items-center justify-center gap-2 rounded-lg border border-dashed border-border px-6 py-12 text-center">
      <Inbox className="h-6 w-6 text-muted" aria-hidden />
      <p className="text-sm font-medium">{title}</p>
      {children ? <div className="max-w-md text-sm text-muted">{children}</div> : null}
      {action}
    </div>
  );
}

export function ErrorState({ title = 'Something went wrong', message, retry }: { title?: string; message?: string; retry?: () => void }) {
  return (
    <div role="alert" className="flex flex-col items-start gap-2 rounded-lg border border-loss/40 bg-loss/10 px-4 py-3 text-sm">
      <div className="flex items-center gap-2 font-medium text-loss">
        <AlertTriangle className="h-4 w-4" aria-hidden /> {title}
      </div>
      {message ? <p className="text-fg">{message}</p> : null}
      {retry ? (
        <button type="button" onClick={retry} className="text-accent underline">
          Try again
        </button>
      ) : null}
    </div>
  );
}
