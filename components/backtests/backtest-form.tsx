'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { fieldErrors, useTRPC } from '@/components/trpc/client';
import { Button } from '@/components/ui/button';
import { ImportMarketButton } from '@/components/market-data/import-market-button';
import { ErrorState, Skeleton } from '@/components/ui/states';
import { RunFields, runRequest, useRunDefaults, type RunValues } from './run-fields';

/** Queues a backtest of the strategy and opens its page, which shows progress and then the results. */
export function BacktestForm({ strategyId, market }: { strategyId: string; market: { exchange: string; symbol: string; timeframe: string } }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const defaults = useRunDefaults(market);
  const stored = useQuery(trpc.strategies.markets.queryOptions());
  const options = useQuery(trpc.marketData.options.queryOptions());
  const hasData = stored.data?.some((m) => m.exchange === market.exchange && m.symbol === market.symbol && m.timeframe === market.timeframe);
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
      {stored.data && !hasData ? (
        <div className="space-y-2 rounded-md border border-warn/40 bg-warn/10 p-3" data-testid="backtest-no-data">
          <p className="text-sm text-warn">
            No candles of {market.symbol} {market.timeframe} on {market.exchange} are stored yet: a backtest has nothing to run on.
          </p>
          <ImportMarketButton
            {...market}
            importable={!!options.data && market.exchange !== options.data.simulatedExchange && options.data.exchanges.includes(market.exchange)}
          />
        </div>
      ) : null}
      <RunFields idPrefix="bt" values={current} onChange={setValues} errors={errors} />
      {create.error && Object.keys(errors).length === 0 ? <ErrorState message={create.error.message} /> : null}
      <Button type="submit" disabled={create.isPending}>
        {create.isPending ? 'Queuing…' : 'Run backtest'}
      </Button>
    </form>
  );
}
