'use client';

import { useMutation, useQuery } from '@tanstack/react-query';
import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '@/server/api/root';
import { useState, type FormEvent } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { ProgressBar } from '@/components/backtests/progress-bar';
import { RunFields, runRequest, useRunDefaults, type RunValues } from '@/components/backtests/run-fields';
import { formatAxisTime, formatCount, formatDate, formatDateTime, formatMoney, formatNumber, formatPercent, signTone } from '@/components/format';
import { SELECT_CLASS } from '@/components/orders/order-ticket';
import { parameterLabel } from '@/components/strategies/param-label';
import { fieldErrors, useTRPC } from '@/components/trpc/client';
import { useJobEventRefetch } from '@/components/trpc/use-job-events';
import { Button } from '@/components/ui/button';
import { Field, Input } from '@/components/ui/input';
import { ErrorState, Skeleton } from '@/components/ui/states';
import { useStrategyType } from '@/components/strategies/use-strategy-type';

const ACTIVE = new Set(['queued', 'running']);
const axis = { stroke: 'var(--muted)', fontSize: 11 };
const tooltipStyle = { background: 'var(--panel)', border: '1px solid var(--border)' };

const OBJECTIVES = [
  ['sharpe', 'Sharpe ratio'],
  ['sortino', 'Sortino ratio'],
  ['calmar', 'Calmar ratio'],
  ['totalReturn', 'Total return'],
  ['returnMinusDrawdown', 'Return − k × max drawdown'],
  ['profitFactor', 'Profit factor'],
] as const;
type Objective = (typeof OBJECTIVES)[number][0];
type Method = 'grid' | 'random' | 'tpe';

interface RangeRow {
  enabled: boolean;
  min: string;
  max: string;
  step: string;
}

interface Settings {
  folds: string;
  anchored: boolean;
  method: Method;
  trials: string;
  seed: string;
  objective: Objective;
  minTrades: string;
}

/**
 * Walk-forward optimization of a strategy (docs/robustness.md): windows, a parameter space from the strategy's
 * schema, a seeded search and an objective; then progress over every fold with cancel, per-fold in- vs out-of-sample
 * bars, the stitched out-of-sample equity, the efficiency and the parameters each fold chose.
 */
export function WalkForwardPanel({
  strategy,
}: {
  strategy: { id: string; type: string; exchange: string; symbol: string; timeframe: string; params: Record<string, unknown> };
}) {
  const trpc = useTRPC();
  const types = useStrategyType(strategy.type);
  const defaults = useRunDefaults(strategy);
  const [values, setValues] = useState<RunValues | null>(null);
  const [ranges, setRanges] = useState<Record<string, RangeRow>>({});
  const [settings, setSettings] = useState<Settings>({
    folds: '4',
    anchored: false,
    method: 'grid',
    trials: '50',
    seed: '',
    objective: 'sharpe',
    minTrades: '1',
  });
  const [runId, setRunId] = useState<string | null>(null);
  const create = useMutation(trpc.robustness.walkForwards.create.mutationOptions({ onSuccess: (wf) => setRunId(wf.id) }));
  const run = useQuery({ ...trpc.robustness.walkForwards.get.queryOptions({ id: runId ?? '' }), enabled: runId !== null });
  useJobEventRefetch(!!run.data && ACTIVE.has(run.data.status), [trpc.robustness.walkForwards.get.queryKey({ id: runId ?? '' })]);
  const cancel = useMutation(trpc.robustness.walkForwards.cancel.mutationOptions({ onSuccess: () => void run.refetch() }));
  const type = types.type;
  if (!defaults || !type) return types.isError ? <ErrorState message="Could not load the strategy types." /> : <Skeleton className="h-48 w-full" />;
  const current = values ?? defaults;
  const numeric = Object.entries(type.parameters).filter(([, s]) => (s.type === 'integer' || s.type === 'float') && !s.common);
  const rowOf = (name: string): RangeRow => {
    const value = strategy.params[name];
    const base = typeof value === 'number' ? value : 0;
    return ranges[name] ?? { enabled: false, min: String(base), max: String(base), step: '1' };
  };
  const setRow = (name: string, patch: Partial<RangeRow>) => setRanges({ ...ranges, [name]: { ...rowOf(name), ...patch } });
  const set = (patch: Partial<Settings>) => setSettings({ ...settings, ...patch });
  const errors = fieldErrors(create.error);
  const chosen = numeric.filter(([name]) => rowOf(name).enabled);
  const spaceErrors = Object.entries(errors).filter(([k]) => k === 'space' || k.startsWith('space.'));
  const w = run.data;

  function submit(event: FormEvent) {
    event.preventDefault();
    const space = Object.fromEntries(
      chosen.map(([name]) => {
        const r = rowOf(name);
        return [name, { min: Number(r.min), max: Number(r.max), step: Number(r.step) }];
      }),
    );
    create.mutate({
      strategyId: strategy.id,
      ...runRequest(current),
      folds: Number(settings.folds),
      anchored: settings.anchored,
      space,
      search: {
        method: settings.method,
        ...(settings.method !== 'grid' ? { trials: Number(settings.trials) } : {}),
        ...(settings.seed.trim() ? { seed: Number(settings.seed) } : {}),
      },
      objective: settings.objective,
      minTrades: Number(settings.minTrades),
    });
  }

  return (
    <div className="space-y-4">
      <p className="text-sm text-muted">
        Each fold searches its in-sample window for the best parameters, then trades them on the out-of-sample window that follows. Out-of-sample results that
        hold up mean the choice was not luck.
      </p>
      <form onSubmit={submit} noValidate className="space-y-4" aria-label="Run a walk-forward">
        <table className="w-full text-sm">
          <thead className="text-left text-xs text-muted">
            <tr>
              <th className="p-1">Search</th>
              <th className="p-1 text-right">Min</th>
              <th className="p-1 text-right">Max</th>
              <th className="p-1 text-right">Step</th>
            </tr>
          </thead>
          <tbody>
            {numeric.map(([name, spec]) => {
              const r = rowOf(name);
              const label = parameterLabel(spec, strategy.symbol);
              return (
                <tr key={name}>
                  <td className="p-1">
                    <label className="flex items-center gap-2">
                      <input type="checkbox" aria-label={`Search ${label}`} checked={r.enabled} onChange={(e) => setRow(name, { enabled: e.target.checked })} />{' '}
                      {label}
                    </label>
                  </td>
                  {(['min', 'max', 'step'] as const).map((key) => (
                    <td className="p-1" key={key}>
                      <Input
                        aria-label={`${label} ${key} (walk-forward)`}
                        className="num text-right"
                        inputMode="decimal"
                        value={r[key]}
                        disabled={!r.enabled}
                        onChange={(e) => setRow(name, { [key]: e.target.value })}
                      />
                    </td>
                  ))}
                </tr>
              );
            })}
          </tbody>
        </table>
        {spaceErrors.map(([k, m]) => (
          <p key={k} role="alert" className="text-sm text-loss">
            {k}: {m}
          </p>
        ))}
        <div className="grid gap-4 sm:grid-cols-3">
          <Field id="wf-folds" label="Folds" error={errors.folds}>
            <Input id="wf-folds" inputMode="numeric" className="num text-right" value={settings.folds} onChange={(e) => set({ folds: e.target.value })} />
          </Field>
          <Field id="wf-method" label="Search">
            <select id="wf-method" className={SELECT_CLASS} value={settings.method} onChange={(e) => set({ method: e.target.value as Method })}>
              <option value="grid">Grid (every cell)</option>
              <option value="random">Random</option>
              <option value="tpe">TPE (model-based)</option>
            </select>
          </Field>
          <Field id="wf-trials" label="Trials per fold" error={errors['search.trials']}>
            <Input
              id="wf-trials"
              inputMode="numeric"
              className="num text-right"
              value={settings.method === 'grid' ? '' : settings.trials}
              placeholder={settings.method === 'grid' ? 'every cell' : undefined}
              disabled={settings.method === 'grid'}
              onChange={(e) => set({ trials: e.target.value })}
            />
          </Field>
          <Field id="wf-objective" label="Objective">
            <select id="wf-objective" className={SELECT_CLASS} value={settings.objective} onChange={(e) => set({ objective: e.target.value as Objective })}>
              {OBJECTIVES.map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          </Field>
          <Field id="wf-min-trades" label="Minimum trades" error={errors.minTrades}>
            <Input
              id="wf-min-trades"
              inputMode="numeric"
              className="num text-right"
              value={settings.minTrades}
              onChange={(e) => set({ minTrades: e.target.value })}
            />
          </Field>
          <Field id="wf-seed" label="Seed (optional)" error={errors['search.seed']}>
            <Input id="wf-seed" inputMode="numeric" className="num text-right" value={settings.seed} onChange={(e) => set({ seed: e.target.value })} />
          </Field>
        </div>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={settings.anchored} onChange={(e) => set({ anchored: e.target.checked })} /> Anchored (every in-sample window starts at
          the range’s start)
        </label>
        <RunFields idPrefix="wf" values={current} onChange={setValues} errors={errors} />
        {create.error && Object.keys(errors).length === 0 ? <ErrorState message={create.error.message} /> : null}
        <Button type="submit" disabled={create.isPending || chosen.length === 0 || (!!w && ACTIVE.has(w.status))}>
          {create.isPending ? 'Queuing…' : chosen.length === 0 ? 'Pick a parameter to search' : 'Run walk-forward'}
        </Button>
      </form>
      {runId === null ? null : run.isPending ? (
        <Skeleton className="h-40 w-full" />
      ) : run.isError ? (
        <ErrorState message={run.error.message} retry={() => void run.refetch()} />
      ) : w ? (
        <WalkForwardResult run={w} onCancel={() => cancel.mutate({ id: w.id })} canceling={cancel.isPending} />
      ) : null}
    </div>
  );
}

type WalkForward = inferRouterOutputs<AppRouter>['robustness']['walkForwards']['get'];

function WalkForwardResult({ run: w, onCancel, canceling }: { run: WalkForward; onCancel: () => void; canceling: boolean }) {
  const done = w.folds.filter((f) => f.status === 'completed').length;
  const m = w.outOfSampleMetrics;
  const bars = w.folds.map((f) => ({
    fold: `Fold ${f.fold + 1}`,
    inSample: f.inSampleMetrics?.totalReturnPct ?? null,
    outOfSample: f.outOfSampleMetrics?.totalReturnPct ?? null,
  }));
  return (
    <div className="space-y-4" data-testid="walk-forward">
      {ACTIVE.has(w.status) ? (
        <div className="space-y-3">
          <ProgressBar value={w.progress} label={w.status === 'queued' ? 'Waiting for a worker…' : `${done} of ${w.folds.length} folds done`} />
          <Button variant="danger" size="sm" onClick={onCancel} disabled={canceling}>
            Cancel walk-forward
          </Button>
        </div>
      ) : null}
      {w.status === 'failed' ? <ErrorState title="The walk-forward failed" message={w.error ?? undefined} /> : null}
      {w.status === 'canceled' ? <p className="text-sm text-muted">This walk-forward was canceled.</p> : null}
      {w.status === 'completed' && m ? (
        <>
          <dl className="grid grid-cols-2 gap-3 text-sm sm:grid-cols-4">
            <Figure label="Efficiency (OOS ÷ IS CAGR)" testId="wf-efficiency" value={w.efficiency === null ? '—' : formatNumber(w.efficiency, 2)} />
            <Figure
              label="Out-of-sample return"
              testId="wf-oos-return"
              value={formatPercent(m.totalReturnPct, { signed: true })}
              tone={signTone(m.totalReturnPct)}
            />
            <Figure label="Max drawdown" value={formatPercent(m.maxDrawdownPct)} />
            <Figure label="Sharpe · trades" value={`${formatNumber(m.sharpeRatio, 2)} · ${formatCount(m.tradeCount)}`} />
          </dl>
          <p className="text-xs text-muted">
            {formatCount(w.folds.length)} folds · {w.search.method === 'grid' ? 'grid' : w.search.method === 'tpe' ? 'TPE' : 'random'} search ·{' '}
            {formatCount(w.totalTrials)} trials in all · seed {w.search.seed}
          </p>
          <div className="h-56 w-full" data-testid="wf-fold-bars" aria-label="Return per fold, in sample and out of sample">
            <ResponsiveContainer width="100%" height="100%">
              <BarChart data={bars} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
                <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" />
                <XAxis dataKey="fold" {...axis} />
                <YAxis {...axis} width={48} tickFormatter={(v: number) => formatPercent(v, { decimals: 0 })} />
                <Tooltip
                  formatter={(v, name) => [formatPercent(Number(v), { signed: true }), name === 'inSample' ? 'In sample' : 'Out of sample']}
                  contentStyle={tooltipStyle}
                />
                <Legend formatter={(name) => (name === 'inSample' ? 'In sample' : 'Out of sample')} />
                <Bar dataKey="inSample" fill="var(--muted)" isAnimationActive={false} />
                <Bar dataKey="outOfSample" fill="var(--accent)" isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          </div>
          <div className="h-56 w-full" data-testid="wf-equity" aria-label="Stitched out-of-sample equity">
            <ResponsiveContainer width="100%" height="100%">
              <LineChart data={w.equity} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
                <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" />
                <XAxis dataKey="time" type="number" domain={['dataMin', 'dataMax']} tickFormatter={(v: number) => formatAxisTime(v, 'UTC', true)} {...axis} />
                <YAxis {...axis} width={64} domain={['auto', 'auto']} tickFormatter={(v: number) => formatNumber(v, 0)} />
                <Tooltip
                  labelFormatter={(v) => formatDateTime(Number(v), 'UTC')}
                  formatter={(v) => [formatMoney(Number(v)), 'Equity']}
                  contentStyle={tooltipStyle}
                />
                <Line type="monotone" dataKey="equity" stroke="var(--accent)" dot={false} strokeWidth={1.5} isAnimationActive={false} />
              </LineChart>
            </ResponsiveContainer>
          </div>
        </>
      ) : null}
      {w.folds.some((f) => f.status === 'completed') ? (
        <div className="overflow-x-auto">
          <table className="w-full text-sm" data-testid="wf-folds">
            <thead className="text-left text-xs text-muted">
              <tr>
                <th className="p-1">Fold</th>
                <th className="p-1">Out of sample (UTC)</th>
                <th className="p-1">Chosen</th>
                <th className="p-1 text-right">In sample</th>
                <th className="p-1 text-right">Out of sample</th>
                <th className="p-1 text-right">Neighbours</th>
                <th className="p-1 text-right" title="the chosen cell's in-sample Sharpe ratio deflated for the combinations the fold evaluated">
                  Deflated Sharpe
                </th>
              </tr>
            </thead>
            <tbody>
              {w.folds.map((f) => (
                <tr key={f.fold} className="border-t border-border">
                  <td className="p-1 num">{f.fold + 1}</td>
                  <td className="p-1 whitespace-nowrap">
                    {formatDate(f.outOfSample.start, 'UTC')} – {formatDate(f.outOfSample.end, 'UTC')}
                  </td>
                  <td className="p-1">
                    {f.status === 'pending'
                      ? 'running…'
                      : f.chosen
                        ? Object.entries(f.chosen)
                            .map(([k, v]) => `${k} ${String(v)}`)
                            .join(', ')
                        : 'none feasible (cash)'}
                  </td>
                  <td className={`p-1 num text-right ${signTone(f.inSampleMetrics?.totalReturnPct ?? 0)}`}>
                    {f.inSampleMetrics ? formatPercent(f.inSampleMetrics.totalReturnPct, { signed: true }) : '—'}
                  </td>
                  <td className={`p-1 num text-right ${signTone(f.outOfSampleMetrics?.totalReturnPct ?? 0)}`}>
                    {f.outOfSampleMetrics ? formatPercent(f.outOfSampleMetrics.totalReturnPct, { signed: true }) : '—'}
                  </td>
                  <td className="p-1 num text-right" title="mean objective of the evaluated cells one step from the chosen one">
                    {f.neighbourhood?.meanObjective != null
                      ? `${formatNumber(f.neighbourhood.meanObjective, 2)} (${formatCount(f.neighbourhood.feasible)})`
                      : '—'}
                  </td>
                  <td
                    className="p-1 num text-right"
                    data-testid="wf-fold-dsr"
                    title={f.deflatedSharpe ? `after ${formatCount(f.deflatedSharpe.trials)} combinations` : undefined}
                  >
                    {f.deflatedSharpe ? `${formatNumber(f.deflatedSharpe.deflatedSharpeRatio, 3)} (${formatCount(f.deflatedSharpe.trials)})` : '—'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </div>
  );
}

function Figure({ label, value, tone, testId }: { label: string; value: string; tone?: string; testId?: string }) {
  return (
    <div className="rounded-md border border-border p-2">
      <dt className="text-xs text-muted">{label}</dt>
      <dd className={`num text-base ${tone ?? ''}`} data-testid={testId}>
        {value}
      </dd>
    </div>
  );
}
