'use client';

import { useMutation, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { ProgressBar } from '@/components/backtests/progress-bar';
import { useRunDefaults } from '@/components/backtests/run-fields';
import { formatCount, formatDateTime } from '@/components/format';
import { fieldErrors, useTRPC } from '@/components/trpc/client';
import { useJobEventRefetch } from '@/components/trpc/use-job-events';
import { Button } from '@/components/ui/button';
import { Field, Input } from '@/components/ui/input';
import { ErrorState, Skeleton } from '@/components/ui/states';

const ACTIVE = new Set(['queued', 'running']);

interface Finding {
  passed: boolean;
  bar?: number;
  time?: string;
  detail?: string;
}

/** The strategy page's bias checks: a date range, then progress with cancel, then each check's verdict. */
export function BiasCheckPanel({ strategyId, market }: { strategyId: string; market: { exchange: string; symbol: string; timeframe: string } }) {
  const trpc = useTRPC();
  const defaults = useRunDefaults(market);
  const [range, setRange] = useState<{ start: string; end: string } | null>(null);
  const [checkId, setCheckId] = useState<string | null>(null);
  const create = useMutation(trpc.robustness.biasChecks.create.mutationOptions({ onSuccess: (check) => setCheckId(check.id) }));
  const check = useQuery({ ...trpc.robustness.biasChecks.get.queryOptions({ id: checkId ?? '' }), enabled: checkId !== null });
  useJobEventRefetch(!!check.data && ACTIVE.has(check.data.status), [trpc.robustness.biasChecks.get.queryKey({ id: checkId ?? '' })]);
  const cancel = useMutation(trpc.robustness.biasChecks.cancel.mutationOptions({ onSuccess: () => void check.refetch() }));
  if (!defaults) return <Skeleton className="h-32 w-full" />;
  const current = range ?? { start: defaults.start, end: defaults.end };
  const errors = fieldErrors(create.error);
  const c = check.data;

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate({ strategyId, start: current.start, end: current.end });
  }

  return (
    <div className="space-y-4">
      <p className="text-sm text-muted">
        Look-ahead: would any decision change if the bars after it were hidden or changed? Recursive: do the signals depend on how much history precedes the
        warm-up?
      </p>
      <form onSubmit={submit} noValidate className="space-y-4" aria-label="Run bias checks">
        <div className="grid gap-4 sm:grid-cols-2">
          <Field id="bias-start" label="Start (UTC)" error={errors.start}>
            <Input
              id="bias-start"
              type="date"
              value={current.start}
              onChange={(e) => setRange({ ...current, start: e.target.value })}
              aria-invalid={!!errors.start}
            />
          </Field>
          <Field id="bias-end" label="End (UTC, exclusive)" error={errors.end}>
            <Input id="bias-end" type="date" value={current.end} onChange={(e) => setRange({ ...current, end: e.target.value })} aria-invalid={!!errors.end} />
          </Field>
        </div>
        {create.error && Object.keys(errors).length === 0 ? <ErrorState message={create.error.message} /> : null}
        <Button type="submit" disabled={create.isPending || (!!c && ACTIVE.has(c.status))}>
          {create.isPending ? 'Queuing…' : 'Run bias checks'}
        </Button>
      </form>
      {checkId === null ? null : check.isPending ? (
        <Skeleton className="h-20 w-full" />
      ) : check.isError ? (
        <ErrorState message={check.error.message} retry={() => void check.refetch()} />
      ) : c ? (
        <div className="space-y-3" data-testid="bias-check">
          {ACTIVE.has(c.status) ? (
            <div className="space-y-3">
              <ProgressBar value={c.progress} label={c.status === 'queued' ? 'Waiting for a worker…' : (c.progressMessage ?? 'Running')} />
              <Button variant="danger" size="sm" onClick={() => cancel.mutate({ id: c.id })} disabled={cancel.isPending}>
                Cancel bias check
              </Button>
            </div>
          ) : null}
          {c.status === 'failed' ? <ErrorState title="The bias check failed" message={c.error ?? undefined} /> : null}
          {c.status === 'canceled' ? <p className="text-sm text-muted">This bias check was canceled.</p> : null}
          {c.status === 'completed' && c.lookahead && c.recursive ? (
            <>
              <Verdict name="Look-ahead" finding={c.lookahead} testId="bias-lookahead" />
              <Verdict name="Recursive" finding={c.recursive} testId="bias-recursive" />
              <p className="text-xs text-muted">
                {formatCount(c.bars)} bars checked · recursive re-runs with {formatCount(c.settleBars)} bars of history
              </p>
            </>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}

function Verdict({ name, finding, testId }: { name: string; finding: Finding; testId: string }) {
  return (
    <div className="rounded-md border border-border p-3" data-testid={testId}>
      <div className={`text-sm font-medium ${finding.passed ? 'text-gain' : 'text-loss'}`}>
        {finding.passed ? '✓' : '✗'} {name}:{' '}
        {finding.passed ? 'passed' : `flagged at bar ${formatCount(finding.bar ?? null)}${finding.time ? ` (${formatDateTime(finding.time, 'UTC')})` : ''}`}
      </div>
      {finding.detail ? <p className="mt-1 text-xs text-muted">{finding.detail}</p> : null}
    </div>
  );
}
