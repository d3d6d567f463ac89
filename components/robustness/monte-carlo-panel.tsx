'use client';

import { useMutation, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { ProgressBar } from '@/components/backtests/progress-bar';
import { formatCount, formatFractionAsPercent, formatPercent } from '@/components/format';
import { SELECT_CLASS } from '@/components/orders/order-ticket';
import { fieldErrors, useTRPC } from '@/components/trpc/client';
import { useJobEventRefetch } from '@/components/trpc/use-job-events';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { Field, Input } from '@/components/ui/input';
import { EmptyState, ErrorState, Skeleton } from '@/components/ui/states';
import { DistributionChart, FanChart } from './fan-chart';

type Method = 'shuffle' | 'bootstrap' | 'blocks';

const METHODS: { value: Method; label: string }[] = [
  { value: 'shuffle', label: 'Trade-order shuffle' },
  { value: 'bootstrap', label: 'Trade bootstrap (with replacement)' },
  { value: 'blocks', label: 'Price paths (block bootstrap, re-run)' },
];

const ACTIVE = new Set(['queued', 'running']);

/** A number typed in a field; blank: not given (the server's default). */
const typed = (text: string): number | undefined => (text.trim() === '' ? undefined : Number(text));

/** The Monte Carlo part of a backtest's Robustness tab: the request form, then progress with cancel, then the results. */
export function MonteCarloPanel({ backtestId, tradeCount }: { backtestId: string; tradeCount: number }) {
  const trpc = useTRPC();
  const [form, setForm] = useState({ method: (tradeCount > 0 ? 'shuffle' : 'blocks') as Method, runs: '1000', seed: '', ruinDrawdownPct: '50', blockBars: '' });
  const [studyId, setStudyId] = useState<string | null>(null);
  const create = useMutation(trpc.robustness.monteCarlo.create.mutationOptions({ onSuccess: (study) => setStudyId(study.id) }));
  const study = useQuery({ ...trpc.robustness.monteCarlo.get.queryOptions({ id: studyId ?? '' }), enabled: studyId !== null });
  useJobEventRefetch(!!study.data && ACTIVE.has(study.data.status), [trpc.robustness.monteCarlo.get.queryKey({ id: studyId ?? '' })]);
  const cancel = useMutation(trpc.robustness.monteCarlo.cancel.mutationOptions({ onSuccess: () => void study.refetch() }));
  const errors = fieldErrors(create.error);
  const set = (key: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => setForm({ ...form, [key]: e.target.value });

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate({
      backtestId,
      method: form.method,
      runs: typed(form.runs),
      seed: typed(form.seed),
      ruinDrawdownPct: typed(form.ruinDrawdownPct),
      blockBars: form.method === 'blocks' ? typed(form.blockBars) : undefined,
    });
  }

  const s = study.data;
  return (
    <div className="space-y-6">
      <Card>
        <CardHeader>
          <CardTitle>Monte Carlo</CardTitle>
        </CardHeader>
        <CardContent>
          <form onSubmit={submit} noValidate className="space-y-4" aria-label="Run a Monte Carlo study">
            <div className="grid gap-4 sm:grid-cols-2">
              <Field id="mc-method" label="Method" error={errors.method}>
                <select id="mc-method" className={SELECT_CLASS} value={form.method} onChange={set('method')}>
                  {METHODS.map((m) => (
                    <option key={m.value} value={m.value}>
                      {m.label}
                    </option>
                  ))}
                </select>
              </Field>
              <Field id="mc-runs" label="Runs" error={errors.runs} hint="1,000 to 100,000 (price paths: 10,000)">
                <Input id="mc-runs" inputMode="numeric" className="num text-right" value={form.runs} onChange={set('runs')} aria-invalid={!!errors.runs} />
              </Field>
              <Field id="mc-ruin" label="Ruin at a drawdown of (%)" error={errors.ruinDrawdownPct}>
                <Input id="mc-ruin" inputMode="decimal" className="num text-right" value={form.ruinDrawdownPct} onChange={set('ruinDrawdownPct')} />
              </Field>
              <Field id="mc-seed" label="Seed (optional)" error={errors.seed} hint="the same seed gives the same result">
                <Input id="mc-seed" inputMode="numeric" className="num text-right" value={form.seed} onChange={set('seed')} />
              </Field>
              {form.method === 'blocks' ? (
                <Field id="mc-block" label="Block length (bars, optional)" error={errors.blockBars} hint="default: the cube root of the bars">
                  <Input id="mc-block" inputMode="numeric" className="num text-right" value={form.blockBars} onChange={set('blockBars')} />
                </Field>
              ) : null}
            </div>
            {create.error && Object.keys(errors).length === 0 ? <ErrorState message={create.error.message} /> : null}
            <Button type="submit" disabled={create.isPending || (!!s && ACTIVE.has(s.status))}>
              {create.isPending ? 'Queuing…' : 'Run Monte Carlo'}
            </Button>
          </form>
        </CardContent>
      </Card>

      {studyId === null ? (
        <EmptyState title="No Monte Carlo study yet">
          Shuffle or resample this backtest’s trades, or resample its price path and re-run the strategy, to see how much of the result is the order of luck.
        </EmptyState>
      ) : study.isPending ? (
        <Skeleton className="h-72 w-full" />
      ) : study.isError ? (
        <ErrorState message={study.error.message} retry={() => void study.refetch()} />
      ) : s ? (
        <>
          {ACTIVE.has(s.status) ? (
            <Card>
              <CardContent className="space-y-3">
                <ProgressBar value={s.progress} label={s.status === 'queued' ? 'Waiting for a worker…' : (s.progressMessage ?? 'Running')} />
                <Button variant="danger" size="sm" onClick={() => cancel.mutate({ id: s.id })} disabled={cancel.isPending}>
                  Cancel Monte Carlo
                </Button>
              </CardContent>
            </Card>
          ) : null}
          {s.status === 'failed' ? <ErrorState title="The Monte Carlo study failed" message={s.error ?? undefined} /> : null}
          {s.status === 'canceled' ? <p className="text-sm text-muted">This Monte Carlo study was canceled.</p> : null}
          {s.status === 'completed' && s.finalReturnPct && s.maxDrawdownPct && s.bands && s.distributions && s.original ? (
            <div className="space-y-6" data-testid="monte-carlo-results">
              <div className="grid gap-4 sm:grid-cols-3">
                <Figure label="Final return P5 / P50 / P95" testId="mc-final-return">
                  {formatPercent(s.finalReturnPct.p5, { signed: true })} / {formatPercent(s.finalReturnPct.p50, { signed: true })} /{' '}
                  {formatPercent(s.finalReturnPct.p95, { signed: true })}
                </Figure>
                <Figure label="Max drawdown P5 / P50 / P95" testId="mc-max-drawdown">
                  {formatPercent(s.maxDrawdownPct.p5)} / {formatPercent(s.maxDrawdownPct.p50)} / {formatPercent(s.maxDrawdownPct.p95)}
                </Figure>
                <Figure label={`Ruin probability (drawdown ≥ ${formatPercent(s.ruinDrawdownPct, { decimals: 0 })})`} testId="mc-ruin">
                  {formatFractionAsPercent(s.ruinProbability ?? 0, { decimals: 1 })}
                </Figure>
              </div>
              <p className="text-xs text-muted">
                {formatCount(s.runs)} runs · {METHODS.find((m) => m.value === s.method)?.label}
                {s.blockBars !== null ? ` · blocks of ${formatCount(s.blockBars)} bars` : ''} · seed {s.seed} · this backtest:{' '}
                {formatPercent(s.original.finalReturnPct, { signed: true })} return, {formatPercent(s.original.maxDrawdownPct)} max drawdown
                {s.method === 'blocks' ? '' : ' (measured at trade exits)'}
              </p>
              <Card>
                <CardHeader>
                  <CardTitle>Equity fan: P5–P95, median and this backtest</CardTitle>
                </CardHeader>
                <CardContent>
                  <FanChart bands={s.bands} />
                </CardContent>
              </Card>
              <div className="grid gap-4 lg:grid-cols-2">
                <Card>
                  <CardHeader>
                    <CardTitle>Final return over the runs</CardTitle>
                  </CardHeader>
                  <CardContent>
                    <DistributionChart bins={s.distributions.finalReturnPct} label="Final return distribution" testId="mc-final-return-distribution" />
                  </CardContent>
                </Card>
                <Card>
                  <CardHeader>
                    <CardTitle>Max drawdown over the runs</CardTitle>
                  </CardHeader>
                  <CardContent>
                    <DistributionChart bins={s.distributions.maxDrawdownPct} label="Max drawdown distribution" testId="mc-max-drawdown-distribution" />
                  </CardContent>
                </Card>
              </div>
            </div>
          ) : null}
        </>
      ) : null}
    </div>
  );
}

function Figure({ label, testId, children }: { label: string; testId: string; children: React.ReactNode }) {
  return (
    <div className="rounded-md border border-border bg-panel p-3">
      <div className="text-xs text-muted">{label}</div>
      <div className="num mt-1 text-sm font-medium" data-testid={testId}>
        {children}
      </div>
    </div>
  );
}
