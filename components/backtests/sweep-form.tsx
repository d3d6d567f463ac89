'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { fieldErrors, useTRPC } from '@/components/trpc/client';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import { ErrorState, Skeleton } from '@/components/ui/states';
import { parameterLabel } from '@/components/strategies/param-label';
import { RunFields, runRequest, useRunDefaults, type RunValues } from './run-fields';
import { useStrategyType } from '@/components/strategies/use-strategy-type';

interface RangeRow {
  enabled: boolean;
  min: string;
  max: string;
  step: string;
}

/** Pick numeric parameters with min/max/step; the whole grid runs as one job. */
export function SweepForm({
  strategy,
}: {
  strategy: { id: string; type: string; exchange: string; symbol: string; timeframe: string; params: Record<string, unknown> };
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const types = useStrategyType(strategy.type);
  const defaults = useRunDefaults(strategy);
  const [values, setValues] = useState<RunValues | null>(null);
  const [ranges, setRanges] = useState<Record<string, RangeRow>>({});
  const create = useMutation(
    trpc.backtests.sweeps.create.mutationOptions({
      onSuccess: (sweep) => {
        void queryClient.invalidateQueries({ queryKey: trpc.backtests.pathKey() });
        router.push(`/backtests/sweeps/${sweep.id}`);
      },
    }),
  );
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
  const errors = fieldErrors(create.error);
  const chosen = numeric.filter(([name]) => rowOf(name).enabled);

  function submit(event: FormEvent) {
    event.preventDefault();
    const request = Object.fromEntries(
      chosen.map(([name]) => {
        const r = rowOf(name);
        return [name, { min: Number(r.min), max: Number(r.max), step: Number(r.step) }];
      }),
    );
    create.mutate({ strategyId: strategy.id, ...runRequest(current), ranges: request });
  }
  const rangeError = Object.entries(errors).filter(([k]) => k === 'ranges' || k.startsWith('ranges.'));

  return (
    <form onSubmit={submit} noValidate className="space-y-4" aria-label="Parameter sweep">
      <table className="w-full text-sm">
        <thead className="text-left text-xs text-muted">
          <tr>
            <th className="p-1">Sweep</th>
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
                    <input type="checkbox" checked={r.enabled} onChange={(e) => setRow(name, { enabled: e.target.checked })} /> {label}
                  </label>
                </td>
                <td className="p-1">
                  <Input
                    aria-label={`${label} min`}
                    className="num text-right"
                    inputMode="decimal"
                    value={r.min}
                    disabled={!r.enabled}
                    onChange={(e) => setRow(name, { min: e.target.value })}
                  />
                </td>
                <td className="p-1">
                  <Input
                    aria-label={`${label} max`}
                    className="num text-right"
                    inputMode="decimal"
                    value={r.max}
                    disabled={!r.enabled}
                    onChange={(e) => setRow(name, { max: e.target.value })}
                  />
                </td>
                <td className="p-1">
                  <Input
                    aria-label={`${label} step`}
                    className="num text-right"
                    inputMode="decimal"
                    value={r.step}
                    disabled={!r.enabled}
                    onChange={(e) => setRow(name, { step: e.target.value })}
                  />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {rangeError.map(([k, m]) => (
        <p key={k} role="alert" className="text-sm text-loss">
          {k}: {m}
        </p>
      ))}
      <RunFields idPrefix="sweep" values={current} onChange={setValues} errors={errors} />
      {create.error && Object.keys(errors).length === 0 ? <ErrorState message={create.error.message} /> : null}
      <Button type="submit" disabled={create.isPending || chosen.length < 2}>
        {create.isPending ? 'Queuing…' : chosen.length < 2 ? 'Pick two or more parameters' : 'Run sweep'}
      </Button>
    </form>
  );
}
