'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { fieldErrors, useTRPC } from '@/components/trpc/client';
import { Button } from '@/components/ui/button';
import { ErrorState, Skeleton } from '@/components/ui/states';
import { RunFields, runRequest, useRunDefaults, type RunValues } from './run-fields';

/** Queues a backtest of the strategy and opens its page, which shows progress and then the results. */
export function BacktestForm({ strategyId, market }: { strategyId: string; market: { exchange: string; symbol: string; timeframe: string } }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const defaults = useRunDefaults(market);
  const [values, setValues] = useState<RunValues | null>(null);
  const create = useMutation(
    trpc.backtests.create.mutationOptions({
      onSuccess: (backtest) => {
        void queryClient.invalidateQueries({ queryKey: trpc.backtests.pathKey() });
        router.push(`/backtests/${backtest.id}`);
      },
    }),
  );
  if (!defaults) return <Skeleton className="h-48 w-full" />;
  const current = values ?? defaults;
  const errors = fieldErrors(create.error);

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate({ strategyId, ...runRequest(current) });
  }
  return (
    <form onSubmit={submit} noValidate className="space-y-4" aria-label="Run a backtest">
      <RunFields idPrefix="bt" values={current} onChange={setValues} errors={errors} />
      {create.error && Object.keys(errors).length === 0 ? <ErrorState message={create.error.message} /> : null}
      <Button type="submit" disabled={create.isPending}>
        {create.isPending ? 'Queuing…' : 'Run backtest'}
      </Button>
    </form>
  );
}
