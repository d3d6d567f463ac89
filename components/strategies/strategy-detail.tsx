'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { BacktestForm } from '@/components/backtests/backtest-form';
import { BacktestList } from '@/components/backtests/backtest-list';
import { StatusBadge } from '@/components/backtests/status-badge';
import { SweepForm } from '@/components/backtests/sweep-form';
import { BiasCheckPanel } from '@/components/robustness/bias-check-panel';
import { WalkForwardPanel } from '@/components/robustness/walk-forward-panel';
import { SweepList } from '@/components/backtests/sweep-list';
import { DeploySection } from '@/components/deployments/deploy-section';
import { PageHeader } from '@/components/shell/page-header';
import { useDocumentTitle } from '@/components/shell/titles';
import { useTRPC } from '@/components/trpc/client';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { ErrorState, Skeleton } from '@/components/ui/states';
import { StrategyForm } from './strategy-form';

const LIFECYCLE = ['draft', 'backtested', 'paper', 'live', 'paused', 'stopped', 'archived'] as const;

/** One strategy: its lifecycle, edit form, backtest and sweep launchers, and its runs. */
export function StrategyDetail({ id }: { id: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const strategy = useQuery(trpc.strategies.get.queryOptions({ id }));
  const loaded = strategy.data;
  useDocumentTitle(loaded ? ['Strategy', loaded.name, `${loaded.symbol} ${loaded.timeframe}`] : null);
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.strategies.pathKey() });
  const clone = useMutation(
    trpc.strategies.clone.mutationOptions({
      onSuccess: (copy) => {
        void invalidate();
        router.push(`/strategies/${copy.id}`);
      },
    }),
  );
  const archive = useMutation(trpc.strategies.archive.mutationOptions({ onSuccess: invalidate }));
  const restore = useMutation(trpc.strategies.update.mutationOptions({ onSuccess: invalidate }));

  if (strategy.isPending)
    return (
      <div className="space-y-4">
        <Skeleton className="h-8 w-64" />
        <Skeleton className="h-64 w-full" />
      </div>
    );
  if (strategy.isError)
    return <ErrorState title={strategy.error.data?.code === 'NOT_FOUND' ? 'Strategy not found' : undefined} message={strategy.error.message} />;
  const s = strategy.data;

  return (
    <>
      <PageHeader
        title={s.name}
        description={`${s.type} · ${s.exchange} ${s.pairlist ? `top ${s.pairlist.n} by ${s.pairlist.quote} volume, now ` : ''}${s.symbols ? `${s.symbols.length} pairs: ${s.symbols.join(', ')}` : s.symbol} ${s.timeframe}`}
        actions={
          <div className="flex flex-wrap items-center gap-2">
            <StatusBadge status={s.status} />
            <Button variant="secondary" size="sm" onClick={() => clone.mutate({ id: s.id })}>
              Clone
            </Button>
            {s.actions.includes('archive') ? (
              <Button variant="secondary" size="sm" onClick={() => archive.mutate({ id: s.id })}>
                Archive
              </Button>
            ) : null}
            {s.actions.includes('restore') ? (
              <Button variant="secondary" size="sm" onClick={() => restore.mutate({ id: s.id, patch: { status: 'draft' } })}>
                Restore
              </Button>
            ) : null}
          </div>
        }
      />
      <ol aria-label="Lifecycle" className="mb-6 flex flex-wrap gap-1 text-xs">
        {LIFECYCLE.map((status) => (
          <li
            key={status}
            aria-current={status === s.status ? 'step' : undefined}
            className={status === s.status ? 'rounded bg-accent px-2 py-1 text-accent-fg' : 'rounded bg-panel-2 px-2 py-1 text-muted'}
          >
            {status}
          </li>
        ))}
      </ol>
      <div className="grid gap-6 lg:grid-cols-2">
        {s.type === 'signal' ? (
          <Card className="lg:col-span-2" data-testid="signal-strategy-note">
            <CardHeader>
              <CardTitle>Signals</CardTitle>
            </CardHeader>
            <CardContent>
              <p className="text-sm text-muted">
                This strategy decides nothing on bars, so there is nothing to backtest or sweep: deploy it on a paper account and send it signals (TradingView
                alerts or any HTTP client) to the webhook its deployment page shows.
              </p>
            </CardContent>
          </Card>
        ) : (
          <>
            <Card id="backtest">
              <CardHeader>
                <CardTitle>Run a backtest</CardTitle>
              </CardHeader>
              <CardContent>
                {s.status === 'archived' ? (
                  <p className="text-sm text-muted">Restore the strategy to run it.</p>
                ) : (
                  <BacktestForm strategyId={s.id} market={s} />
                )}
              </CardContent>
            </Card>
            <Card id="sweep">
              <CardHeader>
                <CardTitle>Parameter sweep</CardTitle>
              </CardHeader>
              <CardContent>
                {s.status === 'archived' ? <p className="text-sm text-muted">Restore the strategy to run it.</p> : <SweepForm strategy={s} />}
              </CardContent>
            </Card>
            <Card id="bias-checks" className="lg:col-span-2">
              <CardHeader>
                <CardTitle>Robustness: bias checks</CardTitle>
              </CardHeader>
              <CardContent>
                {s.status === 'archived' ? (
                  <p className="text-sm text-muted">Restore the strategy to check it.</p>
                ) : (
                  <BiasCheckPanel strategyId={s.id} market={s} />
                )}
              </CardContent>
            </Card>
            <Card id="walk-forward" className="lg:col-span-2">
              <CardHeader>
                <CardTitle>Robustness: walk-forward</CardTitle>
              </CardHeader>
              <CardContent>
                {s.status === 'archived' ? <p className="text-sm text-muted">Restore the strategy to run it.</p> : <WalkForwardPanel strategy={s} />}
              </CardContent>
            </Card>
          </>
        )}
        <Card className="lg:col-span-2">
          <CardHeader>
            <CardTitle>Deploy</CardTitle>
          </CardHeader>
          <CardContent>
            <DeploySection strategy={s} />
          </CardContent>
        </Card>
        <Card className="lg:col-span-2">
          <CardHeader>
            <CardTitle>Backtests</CardTitle>
          </CardHeader>
          <CardContent>
            <BacktestList strategyId={s.id} />
          </CardContent>
        </Card>
        <Card className="lg:col-span-2">
          <CardHeader>
            <CardTitle>Sweeps</CardTitle>
          </CardHeader>
          <CardContent>
            <SweepList strategyId={s.id} />
          </CardContent>
        </Card>
        <Card className="lg:col-span-2">
          <CardHeader>
            <CardTitle>Settings</CardTitle>
          </CardHeader>
          <CardContent>
            <StrategyForm key={s.updatedAt} strategy={s} />
          </CardContent>
        </Card>
      </div>
    </>
  );
}
