'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { RefreshCw, Trash2 } from 'lucide-react';
import { useState } from 'react';
import { useTRPC } from '@/components/trpc/client';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { EmptyState, ErrorState, Skeleton } from '@/components/ui/states';
import type { SeriesCoverageView } from '@/server/api/schemas/market-data';
import { formatCount, formatDateTime } from '@/components/format';
import { errorMessage, stepMs } from './series';

/** The series' span as a bar, its gaps cut out in the loss colour (so holes show at a glance). */
function GapBar({ series }: { series: SeriesCoverageView }) {
  const span = Math.max(1, series.lastMs + stepMs(series.timeframe) - series.firstMs);
  return (
    <div className="relative h-2 w-full min-w-24 overflow-hidden rounded bg-gain/60" aria-hidden>
      {series.gaps.map((g) => (
        <div
          key={g.from}
          className="absolute inset-y-0 bg-loss"
          style={{ left: `${((g.from - series.firstMs) / span) * 100}%`, width: `max(2px, ${((g.to - g.from) / span) * 100}%)` }}
        />
      ))}
    </div>
  );
}

export function CoveragePanel({ isAdmin, importableExchanges }: { isAdmin: boolean; importableExchanges: string[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const coverage = useQuery(trpc.marketData.coverage.queryOptions());
  const fill = useMutation(
    trpc.marketData.startImport.mutationOptions({
      onSuccess: () => void queryClient.invalidateQueries(trpc.marketData.imports.queryFilter()),
    }),
  );
  const [deleting, setDeleting] = useState<SeriesCoverageView | null>(null);
  const remove = useMutation(
    trpc.marketData.deleteSeries.mutationOptions({
      onSuccess: () => {
        setDeleting(null);
        void queryClient.invalidateQueries(trpc.marketData.coverage.queryFilter());
        void queryClient.invalidateQueries(trpc.strategies.markets.queryFilter());
      },
    }),
  );

  return (
    <Card>
      <CardHeader className="flex-row items-center justify-between">
        <CardTitle>Stored candles</CardTitle>
        <Button variant="ghost" size="sm" onClick={() => void coverage.refetch()} aria-label="Refresh coverage">
          <RefreshCw className="h-4 w-4" aria-hidden />
        </Button>
      </CardHeader>
      <CardContent className="p-0">
        {coverage.isPending ? (
          <div className="space-y-2 p-4">
            <Skeleton className="h-6 w-full" />
            <Skeleton className="h-6 w-full" />
            <Skeleton className="h-6 w-3/4" />
          </div>
        ) : coverage.isError ? (
          <div className="p-4">
            <ErrorState message={`Could not load the coverage: ${errorMessage(coverage.error)}`} retry={() => void coverage.refetch()} />
          </div>
        ) : coverage.data.series.length === 0 ? (
          <div className="p-4">
            <EmptyState title="No candles stored yet">
              {isAdmin ? 'Upload a file or import a range from an exchange below.' : 'Import a range from an exchange below.'}
            </EmptyState>
          </div>
        ) : (
          <div className="relative overflow-x-auto">
            <table className="w-full text-sm" data-testid="coverage-table">
              <thead className="text-left text-xs text-muted">
                <tr className="border-b border-border">
                  <th className="px-4 py-2 font-medium">Series</th>
                  <th className="px-4 py-2 font-medium">First</th>
                  <th className="px-4 py-2 font-medium">Last</th>
                  <th className="px-4 py-2 text-right font-medium">Candles</th>
                  <th className="px-4 py-2 text-right font-medium">Gaps</th>
                  <th className="w-40 px-4 py-2 font-medium">Coverage</th>
                  <th className="px-4 py-2" aria-label="Actions" />
                </tr>
              </thead>
              <tbody>
                {coverage.data.series.map((s) => {
                  const id = `${s.exchange}:${s.symbol}:${s.timeframe}`;
                  const canFill = s.gapCount > 0 && importableExchanges.includes(s.exchange);
                  return (
                    <tr key={id} className="border-b border-border last:border-0" data-testid="coverage-row" data-series={id}>
                      <td className="whitespace-nowrap px-4 py-2">
                        <span className="font-medium">{s.symbol}</span> <span className="text-muted">{s.timeframe}</span>
                        <div className="text-xs text-muted">{s.exchange === 'simulated' ? 'simulated (demo data)' : s.exchange}</div>
                      </td>
                      <td className="num whitespace-nowrap px-4 py-2">{formatDateTime(s.firstMs)}</td>
                      <td className="num whitespace-nowrap px-4 py-2">{formatDateTime(s.lastMs)}</td>
                      <td className="num px-4 py-2 text-right" data-testid="coverage-count">
                        {formatCount(s.count)}
                      </td>
                      <td className="num px-4 py-2 text-right" data-testid="coverage-gaps">
                        {s.gapCount === 0 ? (
                          <span className="text-gain">none</span>
                        ) : (
                          <span className="text-loss" title={`${formatCount(s.missing)} candles missing`}>
                            {s.gapCount} ({formatCount(s.missing)} missing)
                          </span>
                        )}
                      </td>
                      <td className="px-4 py-2">
                        <GapBar series={s} />
                      </td>
                      <td className="whitespace-nowrap px-4 py-2 text-right">
                        <div className="flex justify-end gap-2">
                          {canFill ? (
                            <Button
                              size="sm"
                              variant="secondary"
                              disabled={fill.isPending}
                              onClick={() =>
                                fill.mutate({
                                  exchange: s.exchange,
                                  symbol: s.symbol,
                                  timeframe: s.timeframe,
                                  start: s.firstMs,
                                  end: s.lastMs + stepMs(s.timeframe),
                                })
                              }
                            >
                              Fill gaps
                            </Button>
                          ) : null}
                          {isAdmin ? (
                            <Button size="sm" variant="ghost" aria-label={`Delete ${s.exchange} ${s.symbol} ${s.timeframe}`} onClick={() => setDeleting(s)}>
                              <Trash2 className="h-4 w-4" aria-hidden /> Delete
                            </Button>
                          ) : null}
                        </div>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
        <ConfirmDialog
          open={deleting !== null}
          onOpenChange={(open) => {
            if (!open) {
              setDeleting(null);
              remove.reset();
            }
          }}
          title="Delete this series?"
          description={
            deleting
              ? `All ${formatCount(deleting.count)} candles of ${deleting.symbol} ${deleting.timeframe} on ${deleting.exchange} are deleted for every user; backtests and strategies on this market have no data until it is imported again. The deletion is recorded in the audit log.`
              : ''
          }
          confirmLabel="Delete series"
          danger
          pending={remove.isPending}
          error={remove.isError ? errorMessage(remove.error) : null}
          onConfirm={() => deleting && remove.mutate({ exchange: deleting.exchange, symbol: deleting.symbol, timeframe: deleting.timeframe })}
        />
        {fill.isError ? (
          <div className="p-4">
            <ErrorState title="Could not start the import" message={errorMessage(fill.error)} />
          </div>
        ) : null}
      </CardContent>
    </Card>
  );
}
