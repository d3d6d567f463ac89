'use client';

import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { ProgressBar } from '@/components/backtests/progress-bar';
import { formatCount, formatNumber, formatPercent } from '@/components/format';
import { useTRPC } from '@/components/trpc/client';
import { useJobEventRefetch } from '@/components/trpc/use-job-events';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { ErrorState, Skeleton } from '@/components/ui/states';

const ACTIVE = new Set(['queued', 'running']);

type Subject = { kind: 'permutation'; backtestId: string } | { kind: 'deflated-sharpe'; sweepId: string };

/**
 * Significance (docs/robustness.md): a backtest's permutation-test p-value against random entries, or a sweep's
 * deflated Sharpe ratio with the number of combinations tried. One button, progress with cancel, the figure.
 */
export function SignificanceCard({ subject }: { subject: Subject }) {
  const trpc = useTRPC();
  const [testId, setTestId] = useState<string | null>(null);
  const onSuccess = (test: { id: string }) => setTestId(test.id);
  const permutation = useMutation(trpc.robustness.significance.permutationTest.mutationOptions({ onSuccess }));
  const deflated = useMutation(trpc.robustness.significance.deflatedSharpe.mutationOptions({ onSuccess }));
  const test = useQuery({ ...trpc.robustness.significance.get.queryOptions({ id: testId ?? '' }), enabled: testId !== null });
  useJobEventRefetch(!!test.data && ACTIVE.has(test.data.status), [trpc.robustness.significance.get.queryKey({ id: testId ?? '' })]);
  const cancel = useMutation(trpc.robustness.significance.cancel.mutationOptions({ onSuccess: () => void test.refetch() }));
  const creating = permutation.isPending || deflated.isPending;
  const createError = permutation.error ?? deflated.error;
  const t = test.data;
  const result = t?.status === 'completed' ? t.result : null;

  function run() {
    if (subject.kind === 'permutation') permutation.mutate({ backtestId: subject.backtestId, runs: 1000 });
    else deflated.mutate({ sweepId: subject.sweepId });
  }

  return (
    <Card>
      <CardHeader>
        <CardTitle>Significance</CardTitle>
      </CardHeader>
      <CardContent className="space-y-3">
        <p className="text-sm text-muted">
          {subject.kind === 'permutation'
            ? 'Would random entries with the same number of trades and holding times do as well? A permutation test of the mean trade return (1,000 random runs).'
            : 'The best combination’s Sharpe ratio, deflated for how many combinations were tried: the probability that its true Sharpe is above 0.'}
        </p>
        <Button size="sm" onClick={run} disabled={creating || (!!t && ACTIVE.has(t.status))}>
          {creating ? 'Queuing…' : subject.kind === 'permutation' ? 'Run permutation test' : 'Compute deflated Sharpe'}
        </Button>
        {createError ? <ErrorState message={createError.message} /> : null}
        {testId === null ? null : test.isPending ? (
          <Skeleton className="h-10 w-full" />
        ) : test.isError ? (
          <ErrorState message={test.error.message} retry={() => void test.refetch()} />
        ) : t ? (
          <div data-testid="significance" className="space-y-2">
            {ACTIVE.has(t.status) ? (
              <>
                <ProgressBar value={t.progress} label={t.status === 'queued' ? 'Waiting for a worker…' : (t.progressMessage ?? 'Running')} />
                <Button variant="danger" size="sm" onClick={() => cancel.mutate({ id: t.id })} disabled={cancel.isPending}>
                  Cancel
                </Button>
              </>
            ) : null}
            {t.status === 'failed' ? <ErrorState title="The test failed" message={t.error ?? undefined} /> : null}
            {t.status === 'canceled' ? <p className="text-sm text-muted">This test was canceled.</p> : null}
            {result && t.kind === 'permutation' ? <PermutationResult result={result} /> : null}
            {result && t.kind === 'deflated-sharpe' ? <DeflatedSharpeResult result={result} /> : null}
          </div>
        ) : null}
      </CardContent>
    </Card>
  );
}

const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);

function PermutationResult({ result }: { result: Record<string, unknown> }) {
  const band = result.randomMeanTradePct as { p5: number; p50: number; p95: number } | undefined;
  return (
    <p className="text-sm">
      p-value{' '}
      <span className="num font-medium" data-testid="significance-p-value">
        {formatNumber(num(result.pValue), 3)}
      </span>{' '}
      over {formatCount(num(result.runs))} random runs · mean trade {formatPercent(num(result.meanTradePct), { signed: true })}
      {band
        ? ` vs random P5 / P50 / P95 ${formatPercent(band.p5, { signed: true })} / ${formatPercent(band.p50, { signed: true })} / ${formatPercent(band.p95, { signed: true })}`
        : ''}
    </p>
  );
}

function DeflatedSharpeResult({ result }: { result: Record<string, unknown> }) {
  return (
    <p className="text-sm">
      Deflated Sharpe{' '}
      <span className="num font-medium" data-testid="significance-dsr">
        {formatNumber(num(result.deflatedSharpeRatio), 3)}
      </span>{' '}
      after <span data-testid="significance-trials">{formatCount(num(result.trials))}</span> combinations · best Sharpe{' '}
      {formatNumber(num(result.bestSharpeRatio), 2)} (annualised) · expected best by chance {formatNumber(num(result.expectedMaxSharpe), 4)} per bar
    </p>
  );
}
