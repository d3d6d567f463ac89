'use client';

import { useEffect, useState } from 'react';
import { formatAge, formatPrice } from '@/components/format';
import { cn } from '@/components/ui/cn';
import type { MarkView } from '@/server/api/schemas/orders';

/** The current time, re-read every `everyMs` so an age stays true while the page is open. */
export function useNow(everyMs = 15_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

/**
 * A market's mark as every screen shows it (undefined while loading, null when the market has no price): "mark 60,516.00 · last candle · 3 min ago". The exact price is in
 * `data-price` (and the title), so the same value can be compared across pages.
 */
export function MarkLabel({
  mark,
  className,
  label = 'mark',
  priceTick = null,
}: {
  mark: MarkView | null | undefined;
  className?: string;
  label?: string;
  /** The market's price tick, when known: the mark shows on it. */
  priceTick?: string | null;
}) {
  const now = useNow();
  if (!mark) {
    // undefined: still loading; null: the market has no price.
    return (
      <span data-testid="mark" className={cn('text-muted', className)} aria-busy={mark === undefined}>
        {label} {mark === undefined ? '…' : 'none'}
      </span>
    );
  }
  return (
    <span data-testid="mark" data-price={mark.price} data-kind={mark.kind} title={`${mark.price} · ${mark.source} · ${mark.at}`} className={className}>
      {label} <span className="num">{formatPrice(mark.price, { priceTick })}</span> · {mark.kind} ·{' '}
      <span data-testid="mark-age">{formatAge(mark.at, now)}</span>
    </span>
  );
}
