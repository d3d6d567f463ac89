'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Download } from 'lucide-react';
import { useEffect } from 'react';
import { useTRPC } from '@/components/trpc/client';
import { Button } from '@/components/ui/button';
import { errorMessage } from './series';

/** How far back the one-click import reaches (ms): a year of candles, enough for a first backtest. */
export const ONE_CLICK_IMPORT_SPAN_MS = 365 * 86_400_000;

/**
 * The fix for a page without data, in one click: "Import BTC/USDT 1h from binance" queues (or joins)
 * an exchange import of the last year, shows its progress and, once it completed, refreshes every
 * query that lists stored candles, so the page that offered it fills in by itself.
 */
export function ImportMarketButton({
  exchange,
  symbol,
  timeframe,
  importable,
  onImported,
}: {
  exchange: string;
  symbol: string;
  timeframe: string;
  /** Whether `exchange` can be imported from (enabled, not the simulated one); otherwise nothing is offered. */
  importable: boolean;
  onImported?: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const start = useMutation(trpc.marketData.startImport.mutationOptions());
  const jobId = start.data?.id;
  const job = useQuery({
    ...trpc.marketData.import.queryOptions({ id: jobId ?? '00000000-0000-0000-0000-000000000000' }),
    enabled: !!jobId,
    refetchInterval: (query) => (query.state.data && !['queued', 'running'].includes(query.state.data.status) ? false : 1_000),
  });
  const status = job.data?.status ?? start.data?.status;

  useEffect(() => {
    if (status !== 'completed') return;
    void queryClient.invalidateQueries(trpc.strategies.markets.queryFilter());
    void queryClient.invalidateQueries(trpc.marketData.coverage.queryFilter());
    void queryClient.invalidateQueries(trpc.marketData.snapshot.queryFilter());
    void queryClient.invalidateQueries(trpc.marketData.imports.queryFilter());
    onImported?.();
  }, [status, queryClient, trpc, onImported]);

  if (!importable) return null;
  const label = `Import ${symbol} ${timeframe} from ${exchange}`;
  const busy = start.isPending || status === 'queued' || status === 'running';
  const progress = job.data?.progress ?? 0;
  return (
    <div className="space-y-2" data-testid="one-click-import">
      <Button
        type="button"
        disabled={busy || status === 'completed'}
        onClick={() => {
          const now = Date.now();
          start.mutate({ exchange, symbol, timeframe, start: now - ONE_CLICK_IMPORT_SPAN_MS, end: now });
        }}
      >
        <Download className="h-4 w-4" aria-hidden /> {label}
      </Button>
      {busy && jobId ? (
        <div
          className="flex items-center gap-2"
          role="progressbar"
          aria-label={`${label}: progress`}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={Math.round(progress * 100)}
        >
          <div className="h-1.5 flex-1 overflow-hidden rounded bg-panel-2">
            <div className="h-full bg-accent" style={{ width: `${Math.round(progress * 100)}%` }} />
          </div>
          <span className="num text-xs text-muted">{status === 'queued' ? 'queued' : `${Math.round(progress * 100)}%`}</span>
        </div>
      ) : null}
      {start.data?.joined && busy ? <p className="text-xs text-muted">Someone is already importing this market: joined their import.</p> : null}
      {status === 'completed' ? (
        <p role="status" className="text-xs text-gain">
          ✓ Imported {job.data?.result ? `${job.data.result.inserted.toLocaleString()} new candles` : ''}
        </p>
      ) : null}
      {status === 'failed' || status === 'canceled' ? (
        <p role="alert" className="text-xs text-loss">
          The import {status}: {job.data?.error ?? 'no reason given'}
        </p>
      ) : null}
      {start.isError ? (
        <p role="alert" className="text-xs text-loss">
          Could not start the import: {errorMessage(start.error)}
        </p>
      ) : null}
    </div>
  );
}
