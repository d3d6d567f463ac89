'use client';

import { useQuery } from '@tanstack/react-query';
import { ImportMarketButton } from '@/components/market-data/import-market-button';
import { useTRPC } from '@/components/trpc/client';
import { Field, Input } from '@/components/ui/input';
import { TIMEFRAMES } from '@/server/core/timeframe';

export interface MarketValue {
  exchange: string;
  symbol: string;
  timeframe: string;
}

export interface StoredSeries extends MarketValue {
  firstTime: number;
  lastTime: number;
}

const SELECT = 'h-9 w-full rounded-md border border-border bg-panel-2 px-3 text-sm text-fg focus:border-accent focus:outline-none aria-invalid:border-loss';
const OTHER = '__other__';
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const keyOf = (m: MarketValue) => `${m.exchange}|${m.symbol}|${m.timeframe}`;

/**
 * The market a new strategy starts on: a stored series (so its first backtest has data), preferring
 * the default exchange's BTC/USDT 1h, then any BTC/USDT 1h, then the longest-running series; null
 * when nothing is stored (the form then offers the one-click import).
 */
export function defaultMarket(stored: readonly StoredSeries[], defaultExchange: string): MarketValue | null {
  const pick =
    stored.find((s) => s.exchange === defaultExchange && s.symbol === 'BTC/USDT' && s.timeframe === '1h') ??
    stored.find((s) => s.symbol === 'BTC/USDT' && s.timeframe === '1h') ??
    [...stored].sort((a, b) => b.lastTime - b.firstTime - (a.lastTime - a.firstTime))[0];
  return pick ? { exchange: pick.exchange, symbol: pick.symbol, timeframe: pick.timeframe } : null;
}

/**
 * Exchange, symbol and timeframe as choices: one of the stored series (with its coverage), or
 * "another market" from the exchange's market list (exchange and timeframe are selects; the symbol
 * input suggests the exchange's symbols). A market without stored candles says so and offers the
 * one-click import.
 */
export function MarketPicker({
  value,
  onChange,
  stored,
  exchanges,
  simulatedExchange,
  disabled,
  errors,
}: {
  value: MarketValue;
  onChange: (value: MarketValue) => void;
  stored: readonly StoredSeries[];
  /** Enabled exchanges plus the simulated one. */
  exchanges: readonly string[];
  simulatedExchange: string;
  disabled?: boolean;
  errors: Record<string, string>;
}) {
  const trpc = useTRPC();
  const storedMatch = stored.find((s) => keyOf(s) === keyOf(value));
  const symbols = useQuery({ ...trpc.marketData.exchangeSymbols.queryOptions({ exchange: value.exchange }), enabled: !disabled, staleTime: 10 * 60_000 });
  const custom = !storedMatch;

  return (
    <div className="space-y-3 sm:col-span-2">
      <Field
        id="strategy-market"
        label="Market"
        hint={
          stored.length
            ? 'Stored series (with the span they cover), or another market from the exchange.'
            : 'No market data stored yet: pick a market and import it.'
        }
      >
        <select
          id="strategy-market"
          className={SELECT}
          value={storedMatch ? keyOf(storedMatch) : OTHER}
          disabled={disabled}
          onChange={(e) => {
            const chosen = stored.find((s) => keyOf(s) === e.target.value);
            if (chosen) onChange({ exchange: chosen.exchange, symbol: chosen.symbol, timeframe: chosen.timeframe });
            else if (storedMatch) onChange({ ...value, symbol: '' });
          }}
        >
          {stored.map((s) => (
            <option key={keyOf(s)} value={keyOf(s)}>
              {s.symbol} {s.timeframe} · {s.exchange === simulatedExchange ? 'simulated' : s.exchange} · {day(s.firstTime)} → {day(s.lastTime)}
            </option>
          ))}
          <option value={OTHER}>Another market…</option>
        </select>
      </Field>
      {custom ? (
        <div className="grid gap-3 sm:grid-cols-3">
          <Field id="strategy-exchange" label="Exchange" error={errors.exchange}>
            <select
              id="strategy-exchange"
              className={SELECT}
              value={value.exchange}
              disabled={disabled}
              aria-invalid={!!errors.exchange}
              onChange={(e) => onChange({ ...value, exchange: e.target.value })}
            >
              {(exchanges.includes(value.exchange) ? exchanges : [value.exchange, ...exchanges]).map((id) => (
                <option key={id} value={id}>
                  {id}
                </option>
              ))}
            </select>
          </Field>
          <Field
            id="strategy-symbol"
            label="Symbol"
            error={errors.symbol}
            hint={symbols.data && !symbols.data.available ? `${value.exchange} cannot be asked for its markets right now` : undefined}
          >
            <Input
              id="strategy-symbol"
              list="strategy-symbols"
              value={value.symbol}
              disabled={disabled}
              placeholder="BTC/USDT"
              aria-invalid={!!errors.symbol}
              onChange={(e) => onChange({ ...value, symbol: e.target.value.toUpperCase() })}
            />
            <datalist id="strategy-symbols">
              {(symbols.data?.symbols ?? []).map((s) => (
                <option key={s} value={s} />
              ))}
            </datalist>
          </Field>
          <Field id="strategy-timeframe" label="Timeframe" error={errors.timeframe}>
            <select
              id="strategy-timeframe"
              className={SELECT}
              value={value.timeframe}
              disabled={disabled}
              aria-invalid={!!errors.timeframe}
              onChange={(e) => onChange({ ...value, timeframe: e.target.value })}
            >
              {((TIMEFRAMES as readonly string[]).includes(value.timeframe) ? TIMEFRAMES : [value.timeframe, ...TIMEFRAMES]).map((tf) => (
                <option key={tf} value={tf}>
                  {tf}
                </option>
              ))}
            </select>
          </Field>
          {!disabled && value.symbol ? (
            <div className="space-y-2 sm:col-span-3" data-testid="market-without-data">
              <p className="text-xs text-warn">
                No candles of {value.symbol} {value.timeframe} on {value.exchange} are stored: a backtest needs them.
              </p>
              <ImportMarketButton {...value} importable={value.exchange !== simulatedExchange && exchanges.includes(value.exchange)} />
            </div>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
