'use client';

import { useQuery } from '@tanstack/react-query';
import { FlaskConical } from 'lucide-react';
import Link from 'next/link';
import { useTRPC } from '@/components/trpc/client';
import { Button } from '@/components/ui/button';
import { Card, CardContent } from '@/components/ui/card';

/**
 * The first step for someone without a strategy: one link to the strategy form, whose defaults (a stored
 * market, a generated name) create a strategy in one more click, whose page runs its backtest in one more.
 */
export function GetStartedCard() {
  const trpc = useTRPC();
  const strategies = useQuery(trpc.strategies.list.queryOptions({ includeArchived: true }));
  if (!strategies.data || strategies.data.length > 0) return null;
  return (
    <Card data-testid="get-started">
      <CardContent className="flex flex-wrap items-center justify-between gap-3 py-4">
        <div className="min-w-0">
          <p className="text-sm font-medium">Start with a backtest</p>
          <p className="text-xs text-muted">Create a strategy with its defaults, then run it on the stored candles: no money involved.</p>
        </div>
        <Button asChild>
          <Link href="/strategies/new">
            <FlaskConical className="h-4 w-4" aria-hidden /> New strategy
          </Link>
        </Button>
      </CardContent>
    </Card>
  );
}
