'use client';

import { Field, Input } from '@/components/ui/input';
import { TIMEFRAMES } from './series';

export interface SeriesFieldValues {
  exchange: string;
  symbol: string;
  timeframe: string;
}

const selectClass = 'h-9 w-full rounded-md border border-border bg-panel-2 px-3 text-sm text-fg focus:border-accent focus:outline-none';

/** Exchange, symbol and timeframe inputs, with the server's field errors under each. */
export function SeriesFields({
  idPrefix,
  value,
  onChange,
  exchanges,
  errors = {},
}: {
  idPrefix: string;
  value: SeriesFieldValues;
  onChange: (v: SeriesFieldValues) => void;
  exchanges: string[];
  errors?: Record<string, string>;
}) {
  return (
    <div className="grid gap-3 sm:grid-cols-3">
      <Field id={`${idPrefix}-exchange`} label="Exchange" error={errors.exchange}>
        <select id={`${idPrefix}-exchange`} className={selectClass} value={value.exchange} onChange={(e) => onChange({ ...value, exchange: e.target.value })}>
          {exchanges.map((id) => (
            <option key={id} value={id}>
              {id}
            </option>
          ))}
        </select>
      </Field>
      <Field id={`${idPrefix}-symbol`} label="Symbol" error={errors.symbol}>
        <Input
          id={`${idPrefix}-symbol`}
          value={value.symbol}
          onChange={(e) => onChange({ ...value, symbol: e.target.value.toUpperCase() })}
          placeholder="BTC/USDT"
          aria-invalid={!!errors.symbol}
        />
      </Field>
      <Field id={`${idPrefix}-timeframe`} label="Timeframe" error={errors.timeframe}>
        <select
          id={`${idPrefix}-timeframe`}
          className={selectClass}
          value={value.timeframe}
          onChange={(e) => onChange({ ...value, timeframe: e.target.value })}
        >
          {TIMEFRAMES.map((tf) => (
            <option key={tf} value={tf}>
              {tf}
            </option>
          ))}
        </select>
      </Field>
    </div>
  );
}
