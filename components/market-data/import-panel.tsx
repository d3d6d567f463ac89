'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Download, X } from 'lucide-react';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { fieldErrors, useTRPC } from '@/components/trpc/client';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { Field, Input } from '@/components/ui/input';
import { EmptyState, ErrorState, Skeleton } from '@/components/ui/states';
import { formatCount, formatDateTime } from '@/components/format';
import { errorMessage } from './series';
import { SeriesFields, type SeriesFieldValues } from './series-fields';

const dateInput = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const isActive = (status: string) => status === 'queued' || status === 'running';

/** "Import range" from an exchange (any user: candles are shared; a running import of the same range is joined) and your imports with live progress. */
export function ImportPanel({ exchanges, defaultExchange }: { exchanges: string[]; defaultExchange: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [series, setSeries] = useState<SeriesFieldValues>({ exchange: defaultExchange, symbol: 'BTC/USDT', timeframe: '1h' });
  const [start, setStart] = useState(() => dateInput(Date.now() - 30 * 86_400_000));
  const [end, setEnd] = useState(() => dateInput(Date.now()));
  const imports = useQuery({
    ...trpc.marketData.imports.queryOptions(),
    refetchInterval: (query) => (query.state.data?.some((i) => i.status === 'queued' || i.status === 'running') ? 1_500 : 10_000),
  });
  const start_ = useMutation(
    trpc.marketData.startImport.mutationOptions({
      onSuccess: () => void queryClient.invalidateQueries(trpc.marketData.imports.queryFilter()),
    }),
  );
  const cancel = useMutation(
    trpc.marketData.cancelImport.mutationOptions({
      onSettled: () => void queryClient.invalidateQueries(trpc.marketData.imports.queryFilter()),
    }),
  );
  const errors = fieldErrors(start_.error);

  // When an import ends (completed, failed or canceled; also one that ended before we saw it run), the
  // stored candles changed: refresh the coverage.
  const seen = useRef<Map<string, string> | null>(null);
  useEffect(() => {
    if (!imports.data) return;
    const previous = seen.current;
    seen.current = new Map(imports.data.map((i) => [i.id, i.status]));
    if (previous && imports.data.some((i) => !isActive(i.status) && previous.get(i.id) !== i.status)) {
      void queryClient.invalidateQueries(trpc.marketData.coverage.queryFilter());
    }
  }, [imports.data, queryClient, trpc]);

  function submit(event: FormEvent) {
    event.preventDefault();
    start_.mutate({ ...series, start, end });
  }

  return (
    <Card>
      <CardHeader>
        <CardTitle>Import from an exchange</CardTitle>
        <p className="text-xs text-muted">Fetches only the candles missing in the range (through ccxt, within the rate limits); resumable.</p>
      </CardHeader>
      <CardContent className="space-y-4">
        {start_.data?.joined ? (
          <p role="status" className="text-xs text-muted">
            That range was already being imported: you joined the running import.
          </p>
        ) : null}
        <form onSubmit={submit} className="space-y-3" aria-label="Import range">
          <SeriesFields idPrefix="import" value={series} onChange={setSeries} exchanges={exchanges} errors={errors} />
          <div className="grid gap-3 sm:grid-cols-2">
            <Field id="import-start" label="From (UTC)" error={errors.start}>
              <Input id="import-start" type="date" value={start} onChange={(e) => setStart(e.target.value)} />
            </Field>
            <Field id="import-end" label="To (UTC, exclusive)" error={errors.end}>
              <Input id="import-end" type="date" value={end} onChange={(e) => setEnd(e.target.value)} />
            </Field>
          </div>
          <Button type="submit" disabled={start_.isPending}>
            <Download className="h-4 w-4" aria-hidden /> Import range
          </Button>
          {start_.isError && Object.keys(errors).length === 0 ? <ErrorState title="Could not start the import" message={errorMessage(start_.error)} /> : null}
        </form>
        <div>
          <h3 className="mb-2 text-xs font-medium uppercase tracking-wide text-muted">Your imports</h3>
          {cancel.isError ? <ErrorState title="Could not cancel the import" message={errorMessage(cancel.error)} /> : null}
          {imports.isPending ? (
            <Skeleton className="h-16 w-full" />
          ) : imports.isError ? (
            <ErrorState message={`Could not load imports: ${errorMessage(imports.error)}`} retry={() => void imports.refetch()} />
          ) : imports.data.length === 0 ? (
            <EmptyState title="No imports yet">Start one above, or use “Fill gaps” on a stored series.</EmptyState>
          ) : (
            <ul className="space-y-2" data-testid="imports-list">
              {imports.data.map((job) => (
                <li
                  key={job.id}
                  className="rounded-md border border-border p-3 text-sm"
                  data-testid="import-item"
                  data-status={job.status}
                  data-import-id={job.id}
                >
                  <div className="flex flex-wrap items-center justify-between gap-2">
                    <span>
                      <span className="font-medium">{job.symbol}</span> {job.timeframe} <span className="text-muted">· {job.exchange}</span>
                    </span>
                    <span className="flex items-center gap-2">
                      <span
                        data-testid="import-status"
                        className={job.status === 'failed' ? 'text-loss' : job.status === 'completed' ? 'text-gain' : 'text-muted'}
                      >
                        {job.cancelRequested ? 'canceling…' : job.status}
                      </span>
                      {isActive(job.status) ? (
                        <Button
                          size="sm"
                          variant="ghost"
                          aria-label={`Cancel the ${job.symbol} ${job.timeframe} import`}
                          disabled={job.cancelRequested || (cancel.isPending && cancel.variables?.id === job.id)}
                          onClick={() => cancel.mutate({ id: job.id })}
                        >
                          <X className="h-4 w-4" aria-hidden /> Cancel
                        </Button>
                      ) : null}
                    </span>
                  </div>
                  <div className="num mt-1 text-xs text-muted">
                    {formatDateTime(job.startMs)} → {formatDateTime(job.endMs)}
                  </div>
                  {job.status === 'running' || job.status === 'queued' ? (
                    <div
                      className="mt-2 flex items-center gap-2"
                      role="progressbar"
                      aria-valuemin={0}
                      aria-valuemax={100}
                      aria-valuenow={Math.round(job.progress * 100)}
                    >
                      <div className="h-1.5 flex-1 overflow-hidden rounded bg-panel-2">
                        <div className="h-full bg-accent" style={{ width: `${Math.round(job.progress * 100)}%` }} />
                      </div>
                      <span className="num text-xs">{Math.round(job.progress * 100)}%</span>
                    </div>
                  ) : null}
                  {job.progressMessage && (job.status === 'running' || job.status === 'canceled') ? (
                    <p className="mt-1 text-xs text-muted" data-testid="import-progress-message">
                      {job.status === 'canceled'
                        ? `Canceled at ${Math.round(job.progress * 100)}%; the candles stored until then are kept (${job.progressMessage})`
                        : job.progressMessage}
                    </p>
                  ) : null}
                  {job.result && job.status === 'completed' ? (
                    <p className="num mt-1 text-xs">
                      {formatCount(job.result.inserted)} new · {formatCount(job.result.updated)} updated · {formatCount(job.result.fetched)} fetched
                    </p>
                  ) : null}
                  {job.error && job.status !== 'completed' && job.status !== 'canceled' ? <p className="mt-1 text-xs text-loss">{job.error}</p> : null}
                </li>
              ))}
            </ul>
          )}
        </div>
      </CardContent>
    </Card>
  );
}
