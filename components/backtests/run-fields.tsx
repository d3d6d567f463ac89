'use client';

import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/components/trpc/client';
import { Field, Input } from '@/components/ui/input';

export interface RunValues {
  start: string;
  end: string;
  initialCapital: string;
  feeRate: string;
  slippage: string;
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Defaults: the whole stored range of the strategy's market (else the last 90 days), 10,000 quote, 0.1 % fee, 0.05 % slippage. */
export function useRunDefaults(market: { exchange: string; symbol: string; timeframe: string }): RunValues | null {
  const trpc = useTRPC();
  const markets = useQuery(trpc.strategies.markets.queryOptions());
  if (markets.isPending) return null;
  const stored = markets.data?.find((m) => m.exchange === market.exchange && m.symbol === market.symbol && m.timeframe === market.timeframe);
  const now = Date.now();
  return {
    start: day(stored ? stored.firstTime : now - 90 * 86_400_000),
    end: day((stored ? stored.lastTime : now) + 86_400_000),
    initialCapital: '10000',
    feeRate: '0.001',
    slippage: '0.0005',
  };
}

/** Date range and money inputs shared by the backtest and sweep forms; errors keyed by request field. */
export function RunFields({
  idPrefix,
  values,
  onChange,
  errors,
}: {
  idPrefix: string;
  values: RunValues;
  onChange: (v: RunValues) => void;
  errors: Record<string, string>;
}) {
  const set = (key: keyof RunValues) => (e: React.ChangeEvent<HTMLInputElement>) => onChange({ ...values, [key]: e.target.value });
  return (
    <div className="grid gap-4 sm:grid-cols-2">
      <Field id={`${idPrefix}-start`} label="Start (UTC)" error={errors.start}>
        <Input id={`${idPrefix}-start`} type="date" value={values.start} onChange={set('start')} aria-invalid={!!errors.start} />
      </Field>
      <Field id={`${idPrefix}-end`} label="End (UTC, exclusive)" error={errors.end}>
        <Input id={`${idPrefix}-end`} type="date" value={values.end} onChange={set('end')} aria-invalid={!!errors.end} />
      </Field>
      <Field id={`${idPrefix}-capital`} label="Initial capital (quote)" error={errors.initialCapital}>
        <Input
          id={`${idPrefix}-capital`}
          inputMode="decimal"
          className="num text-right"
          value={values.initialCapital}
          onChange={set('initialCapital')}
          aria-invalid={!!errors.initialCapital}
        />
      </Field>
      <Field id={`${idPrefix}-fee`} label="Fee rate (fraction per fill)" error={errors.feeRate} hint="0.001 = 0.1 %">
        <Input
          id={`${idPrefix}-fee`}
          inputMode="decimal"
          className="num text-right"
          value={values.feeRate}
          onChange={set('feeRate')}
          aria-invalid={!!errors.feeRate}
        />
      </Field>
      <Field id={`${idPrefix}-slippage`} label="Slippage (fraction per fill)" error={errors.slippage} hint="0.0005 = 0.05 %">
        <Input
          id={`${idPrefix}-slippage`}
          inputMode="decimal"
          className="num text-right"
          value={values.slippage}
          onChange={set('slippage')}
          aria-invalid={!!errors.slippage}
        />
      </Field>
    </div>
  );
}

/** Form strings → request fields (strings for money are accepted and validated by the server). */
export function runRequest(values: RunValues) {
  return { start: values.start, end: values.end, initialCapital: values.initialCapital, feeRate: values.feeRate, slippage: values.slippage };
}
