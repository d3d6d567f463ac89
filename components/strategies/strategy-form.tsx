'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useMemo, useState, type FormEvent } from 'react';
import { fieldErrors, useTRPC } from '@/components/trpc/client';
import { Button } from '@/components/ui/button';
import { Field, Input } from '@/components/ui/input';
import { ErrorState, Skeleton } from '@/components/ui/states';
import type { StrategyResponse, StrategyTypeResponse } from '@/server/api/schemas/strategies';
import { defaultMarket, MarketPicker, type MarketValue } from './market-picker';
import { parameterLabel } from './param-label';

type Parameter = StrategyTypeResponse['parameters'][string];
type Values = Record<string, string | boolean>;

const SELECT = 'h-9 w-full rounded-md border border-border bg-panel-2 px-3 text-sm text-fg focus:border-accent focus:outline-none aria-invalid:border-loss';

function toFormValue(spec: Parameter, value: unknown): string | boolean {
  if (spec.type === 'boolean') return Boolean(value);
  return value === null || value === undefined ? '' : String(value);
}

function initialValues(type: StrategyTypeResponse | undefined, params?: Record<string, unknown>): Values {
  if (!type) return {};
  return Object.fromEntries(
    Object.entries(type.parameters).map(([name, spec]) => [name, toFormValue(spec, params && name in params ? params[name] : spec.default)]),
  );
}

/** Form values → request params: numbers parsed, an empty optional number is null (not set). */
function toParams(type: StrategyTypeResponse, values: Values): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(type.parameters)) {
    const value = values[name];
    if (spec.type === 'boolean') params[name] = Boolean(value);
    else if (spec.type === 'enum') params[name] = value;
    else if (value === '' || value === undefined) params[name] = spec.default === null ? null : undefined;
    else params[name] = Number(value);
  }
  return params;
}

function rangeHint(spec: Parameter): string {
  const parts: string[] = [];
  if (spec.min !== null) parts.push(`${spec.exclusiveMin ? '>' : '≥'} ${spec.min}`);
  if (spec.max !== null) parts.push(`${spec.exclusiveMax ? '<' : '≤'} ${spec.max}`);
  if (spec.default === null) parts.push('optional');
  return parts.length ? ` (${parts.join(', ')})` : '';
}

function ParamField({
  name,
  label,
  spec,
  value,
  error,
  disabled,
  onChange,
}: {
  name: string;
  /** the parameter's label and unit ("Fast period (bars)"); the API name goes in the hint */
  label: string;
  spec: Parameter;
  value: string | boolean;
  error?: string;
  disabled?: boolean;
  onChange: (v: string | boolean) => void;
}) {
  const id = `param-${name}`;
  const hint = `${spec.description}${rangeHint(spec)} · ${name}`;
  if (spec.type === 'boolean') {
    return (
      <div className="flex items-start gap-2">
        <input id={id} type="checkbox" checked={Boolean(value)} disabled={disabled} onChange={(e) => onChange(e.target.checked)} className="mt-1" />
        <div>
          <label htmlFor={id} className="text-sm font-medium">
            {label}
          </label>
          <p className="text-xs text-muted">{spec.description}</p>
          {error ? (
            <p role="alert" className="text-xs text-loss">
              {error}
            </p>
          ) : null}
        </div>
      </div>
    );
  }
  return (
    <Field id={id} label={label} error={error} hint={hint}>
      {spec.type === 'enum' ? (
        <select id={id} className={SELECT} value={String(value)} disabled={disabled} onChange={(e) => onChange(e.target.value)} aria-invalid={!!error}>
          {(spec.options ?? []).map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      ) : (
        <Input
          id={id}
          type="number"
          inputMode="decimal"
          className="num"
          step={spec.type === 'integer' ? 1 : 'any'}
          min={spec.min ?? undefined}
          max={spec.max ?? undefined}
          placeholder={spec.default === null ? 'not set' : undefined}
          value={String(value)}
          disabled={disabled}
          aria-invalid={!!error}
          aria-describedby={error ? `${id}-error` : undefined}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
    </Field>
  );
}

/** Create a strategy (no `strategy`) or edit one: the parameter fields are generated from the type's schema. */
export function StrategyForm({ strategy, initialType }: { strategy?: StrategyResponse; initialType?: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const types = useQuery(trpc.strategies.types.queryOptions());
  const markets = useQuery(trpc.strategies.markets.queryOptions());
  const exchangeOptions = useQuery(trpc.marketData.options.queryOptions());
  const [typeName, setTypeName] = useState(strategy?.type ?? initialType ?? 'sma_crossover');
  // A script version (script:<id>@<version>) is not in the registry's list: its form comes from its declared schema.
  const scriptType = typeName.startsWith('script:');
  const oneType = useQuery(trpc.strategies.type.queryOptions({ type: typeName }, { enabled: scriptType }));
  // Untouched, the name follows the type and market ("SMA crossover · BTC/USDT 1h"); typing takes over.
  const [typedName, setTypedName] = useState<string | null>(strategy?.name ?? null);
  // Null until chosen: a new strategy starts on a stored series (defaultMarket), never on one that does not exist.
  const [chosenMarket, setMarket] = useState<MarketValue | null>(
    strategy ? { exchange: strategy.exchange, symbol: strategy.symbol, timeframe: strategy.timeframe } : null,
  );
  const [values, setValues] = useState<Values | null>(null);
  // A pair list (docs/backtesting.md, "Pair lists"): the symbols as typed, and the capital rules.
  const [pairList, setPairList] = useState<PairListValues>(() => initialPairList(strategy));
  const type = scriptType ? oneType.data : types.data?.find((t) => t.type === typeName);
  const current = values ?? initialValues(type, strategy?.params);

  const onSaved = async (saved: StrategyResponse) => {
    await queryClient.invalidateQueries({ queryKey: trpc.strategies.pathKey() });
    if (!strategy) router.push(`/strategies/${saved.id}`);
    else setValues(null);
  };
  const create = useMutation(trpc.strategies.create.mutationOptions({ onSuccess: onSaved }));
  const update = useMutation(trpc.strategies.update.mutationOptions({ onSuccess: onSaved }));
  const mutation = strategy ? update : create;
  const errors = fieldErrors(mutation.error);
  const locked = strategy ? !strategy.editable : false;

  const seriesOptions = useMemo(() => markets.data ?? [], [markets.data]);
  const market: MarketValue = chosenMarket ??
    defaultMarket(seriesOptions, exchangeOptions.data?.defaultExchange ?? 'binance') ?? {
      exchange: exchangeOptions.data?.defaultExchange ?? 'binance',
      symbol: 'BTC/USDT',
      timeframe: '1h',
    };
  const { exchange, symbol, timeframe } = market;
  const name = typedName ?? (type ? `${type.name} · ${symbol} ${timeframe}` : '');

  if (types.isPending || markets.isPending || exchangeOptions.isPending || (scriptType && oneType.isPending))
    return (
      <div className="space-y-3">
        <Skeleton className="h-9 w-full" />
        <Skeleton className="h-9 w-full" />
        <Skeleton className="h-40 w-full" />
      </div>
    );
  if (types.isError || !types.data) return <ErrorState message="Could not load the strategy types." retry={() => void types.refetch()} />;
  if (scriptType && oneType.isError)
    return <ErrorState message={`Could not load the script version ${typeName}: ${oneType.error.message}`} retry={() => void oneType.refetch()} />;
  if (markets.isError || exchangeOptions.isError)
    return (
      <ErrorState
        message="Could not load the stored markets."
        retry={() => {
          void markets.refetch();
          void exchangeOptions.refetch();
        }}
      />
    );

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!type) return;
    const params = toParams(type, current);
    if (pairList.enabled && pairList.source === 'top_volume') {
      const spec = toPairListSpec(pairList);
      const capital = toCapital(pairList);
      // An unchanged spec is not re-ranked on save (that would change the list, and the strategy's status, unasked).
      const sameSpec = JSON.stringify(spec) === JSON.stringify(strategy?.pairlist ?? null);
      if (strategy) update.mutate({ id: strategy.id, patch: { name, params, exchange, ...(sameSpec ? {} : { pairlist: spec }), capital, timeframe } });
      else create.mutate({ name, type: type.type, params, exchange, pairlist: spec, capital, timeframe });
      return;
    }
    const marketFields = pairList.enabled ? { symbols: parseSymbols(pairList.symbols), capital: toCapital(pairList) } : { symbol };
    if (strategy) update.mutate({ id: strategy.id, patch: { name, params, exchange, ...marketFields, timeframe } });
    else create.mutate({ name, type: type.type, params, exchange, ...marketFields, timeframe });
  }

  const own = type ? Object.entries(type.parameters).filter(([, s]) => !s.common) : [];
  const common = type ? Object.entries(type.parameters).filter(([, s]) => s.common) : [];
  const setValue = (param: string) => (v: string | boolean) => setValues({ ...current, [param]: v });
  const otherError = mutation.error && Object.keys(errors).length === 0 ? mutation.error.message : null;

  return (
    <form onSubmit={submit} noValidate className="space-y-6" aria-label={strategy ? 'Edit strategy' : 'New strategy'}>
      <div className="grid gap-4 sm:grid-cols-2">
        <Field id="strategy-name" label="Name" error={errors.name}>
          <Input id="strategy-name" value={name} onChange={(e) => setTypedName(e.target.value)} aria-invalid={!!errors.name} placeholder="e.g. BTC trend" />
        </Field>
        <Field id="strategy-type" label="Strategy type" error={errors.type} hint={type?.description}>
          <select
            id="strategy-type"
            className={SELECT}
            value={typeName}
            disabled={!!strategy}
            onChange={(e) => {
              setTypeName(e.target.value);
              setValues(null);
            }}
          >
            {scriptType && type ? (
              <option value={type.type}>
                {type.name} ({type.type})
              </option>
            ) : null}
            {types.data.map((t) => (
              <option key={t.type} value={t.type}>
                {t.name}
              </option>
            ))}
          </select>
        </Field>
        <MarketPicker
          value={market}
          onChange={setMarket}
          stored={seriesOptions}
          exchanges={exchangeOptions.data?.exchanges ?? []}
          simulatedExchange={exchangeOptions.data?.simulatedExchange ?? 'simulated'}
          disabled={locked}
          errors={errors}
        />
      </div>

      {scriptType ? null : (
        <PairListFields value={pairList} onChange={setPairList} errors={errors} disabled={locked} defaultSymbol={symbol} exchange={exchange} />
      )}

      <fieldset className="space-y-4">
        <legend className="mb-2 text-sm font-semibold">Parameters</legend>
        <div className="grid gap-4 sm:grid-cols-2">
          {own.map(([param, spec]) => (
            <ParamField
              key={param}
              name={param}
              label={parameterLabel(spec, symbol)}
              spec={spec}
              value={current[param] ?? ''}
              error={errors[`params.${param}`]}
              disabled={locked}
              onChange={setValue(param)}
            />
          ))}
        </div>
      </fieldset>
      <fieldset className="space-y-4">
        <legend className="mb-2 text-sm font-semibold">Position size and exits</legend>
        <div className="grid gap-4 sm:grid-cols-2">
          {common.map(([param, spec]) => (
            <ParamField
              key={param}
              name={param}
              label={parameterLabel(spec, symbol)}
              spec={spec}
              value={current[param] ?? ''}
              error={errors[`params.${param}`]}
              disabled={locked}
              onChange={setValue(param)}
            />
          ))}
        </div>
      </fieldset>
      {errors.params ? (
        <p role="alert" className="text-sm text-loss">
          {errors.params}
        </p>
      ) : null}
      {otherError ? <ErrorState message={otherError} /> : null}
      {locked ? <p className="text-sm text-muted">This strategy is {strategy?.status}; its parameters and market cannot change now.</p> : null}
      <div className="flex gap-2">
        <Button type="submit" disabled={mutation.isPending}>
          {mutation.isPending ? 'Saving…' : strategy ? 'Save changes' : 'Create strategy'}
        </Button>
        {strategy && mutation.isSuccess ? (
          <span role="status" className="self-center text-sm text-gain">
            ✓ Saved
          </span>
        ) : null}
      </div>
    </form>
  );
}

interface PairListValues {
  enabled: boolean;
  /** a list given by hand, or the top N markets by 24 h quote volume (the exchange chooses; docs/backtesting.md) */
  source: 'fixed' | 'top_volume';
  /** as typed: symbols separated by commas, spaces or lines */
  symbols: string;
  /** top_volume: how many pairs, as typed */
  topN: string;
  /** top_volume: the quote currency the pairs share, as typed */
  quote: string;
  maxOpenPositions: string;
  stakeType: 'equal_split' | 'pct_equity' | 'fixed';
  /** the stake's % of equity or quote amount, as typed */
  stakeAmount: string;
}

function initialPairList(strategy: StrategyResponse | undefined): PairListValues {
  const capital = strategy?.capital;
  const stake = capital?.stake;
  return {
    enabled: !!strategy?.symbols,
    source: strategy?.pairlist ? 'top_volume' : 'fixed',
    symbols: strategy?.symbols?.join(', ') ?? '',
    topN: strategy?.pairlist ? String(strategy.pairlist.n) : '10',
    quote: strategy?.pairlist?.quote ?? '',
    maxOpenPositions: capital ? String(capital.maxOpenPositions) : '',
    stakeType: stake?.type ?? 'equal_split',
    stakeAmount: stake?.type === 'pct_equity' ? String(stake.pct) : stake?.type === 'fixed' ? String(stake.quote) : '',
  };
}

function parseSymbols(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);
}

/** The capital rules to send: empty fields take the server's defaults; a typed value is sent as typed (the server names a bad one). */
function toCapital(values: PairListValues) {
  const maxOpenPositions = values.maxOpenPositions.trim() === '' ? undefined : Number(values.maxOpenPositions);
  const amount = Number(values.stakeAmount);
  const stake =
    values.stakeType === 'pct_equity'
      ? { type: 'pct_equity' as const, pct: amount }
      : values.stakeType === 'fixed'
        ? { type: 'fixed' as const, quote: amount }
        : { type: 'equal_split' as const };
  return { ...(maxOpenPositions === undefined ? {} : { maxOpenPositions }), stake };
}

/** The top-volume spec to send: the values as typed (the server names a bad one: `pairlist.n`). */
function toPairListSpec(values: PairListValues) {
  return { type: 'top_volume', n: Number(values.topN), quote: values.quote.trim().toUpperCase() };
}

/** The quote currency of a unified symbol (`BTC/USDT` → `USDT`), or '' for none. */
function quoteOfSymbol(symbol: string): string {
  return symbol.split('/')[1]?.split(':')[0] ?? '';
}

/** The first error about the list: the list itself or one of its entries (`symbols[3]`, named in the message). */
function symbolsError(errors: Record<string, string>): string | undefined {
  const key = Object.keys(errors).find((k) => k === 'symbols' || k.startsWith('symbols['));
  return key === undefined ? undefined : key === 'symbols' ? errors[key] : `${key}: ${errors[key]}`;
}

function PairListFields({
  value,
  onChange,
  errors,
  disabled,
  defaultSymbol,
  exchange,
}: {
  value: PairListValues;
  onChange: (v: PairListValues) => void;
  errors: Record<string, string>;
  disabled: boolean;
  defaultSymbol: string;
  exchange: string;
}) {
  const set = (patch: Partial<PairListValues>) => onChange({ ...value, ...patch });
  const topVolume = value.source === 'top_volume';
  return (
    <fieldset className="space-y-4">
      <legend className="mb-2 text-sm font-semibold">Pairs</legend>
      <div className="flex items-start gap-2">
        <input
          id="pair-list-enabled"
          type="checkbox"
          className="mt-1"
          checked={value.enabled}
          disabled={disabled}
          onChange={(e) => set({ enabled: e.target.checked, symbols: value.symbols || defaultSymbol, quote: value.quote || quoteOfSymbol(defaultSymbol) })}
        />
        <div>
          <label htmlFor="pair-list-enabled" className="text-sm font-medium">
            Trade a pair list
          </label>
          <p className="text-xs text-muted">One strategy over several pairs of this exchange and timeframe, sharing one capital.</p>
        </div>
      </div>
      {value.enabled ? (
        <div role="radiogroup" aria-label="Which pairs" className="flex flex-wrap gap-x-6 gap-y-2 text-sm">
          <label className="flex items-center gap-2">
            <input type="radio" name="pair-list-source" checked={!topVolume} disabled={disabled} onChange={() => set({ source: 'fixed' })} />
            Fixed list
          </label>
          <label className="flex items-center gap-2">
            <input type="radio" name="pair-list-source" checked={topVolume} disabled={disabled} onChange={() => set({ source: 'top_volume' })} />
            Top N by quote volume
          </label>
        </div>
      ) : null}
      {value.enabled ? (
        <div className="grid gap-4 sm:grid-cols-2">
          {topVolume ? (
            <>
              <Field
                id="pair-list-top-n"
                label="Number of pairs"
                error={errors['pairlist.n'] ?? errors.pairlist}
                hint="The N markets with the highest 24 h quote volume, at most 100"
              >
                <PairCountInput
                  id="pair-list-top-n"
                  value={value.topN}
                  disabled={disabled}
                  invalid={!!(errors['pairlist.n'] ?? errors.pairlist)}
                  onChange={(topN) => set({ topN })}
                />
              </Field>
              <Field id="pair-list-quote" label="Quote currency" error={errors['pairlist.quote'] ?? errors['pairlist.type']} hint="e.g. USDT">
                <Input
                  id="pair-list-quote"
                  value={value.quote}
                  disabled={disabled}
                  autoCapitalize="characters"
                  aria-invalid={!!(errors['pairlist.quote'] ?? errors['pairlist.type'])}
                  onChange={(e) => set({ quote: e.target.value })}
                />
              </Field>
              <div className="sm:col-span-2">
                <TopVolumePreview exchange={exchange} n={value.topN} quote={value.quote} />
              </div>
            </>
          ) : (
            <Field
              id="pair-list-symbols"
              label="Pairs, in priority order"
              error={symbolsError(errors)}
              hint="Separated by commas or lines, one quote currency, at most 100"
            >
              <textarea
                id="pair-list-symbols"
                rows={3}
                className="w-full rounded-md border border-border bg-panel-2 px-3 py-2 text-sm text-fg focus:border-accent focus:outline-none aria-invalid:border-loss"
                value={value.symbols}
                disabled={disabled}
                aria-invalid={!!symbolsError(errors)}
                onChange={(e) => set({ symbols: e.target.value })}
              />
            </Field>
          )}
          <Field id="pair-list-max-open" label="Max open positions" error={errors['capital.maxOpenPositions']} hint="Empty: one per pair">
            <PairCountInput
              id="pair-list-max-open"
              value={value.maxOpenPositions}
              disabled={disabled}
              invalid={!!errors['capital.maxOpenPositions']}
              onChange={(maxOpenPositions) => set({ maxOpenPositions })}
            />
          </Field>
          <Field id="pair-list-stake" label="Stake per position" error={errors['capital.stake'] ?? errors['capital.stake.type']}>
            <select
              id="pair-list-stake"
              className={SELECT}
              value={value.stakeType}
              disabled={disabled}
              onChange={(e) => set({ stakeType: e.target.value as PairListValues['stakeType'] })}
            >
              <option value="equal_split">Equal split of the equity over the slots</option>
              <option value="pct_equity">Percent of equity</option>
              <option value="fixed">Fixed quote amount</option>
            </select>
          </Field>
          {value.stakeType !== 'equal_split' ? (
            <Field
              id="pair-list-stake-amount"
              label={value.stakeType === 'pct_equity' ? 'Stake (% of equity)' : 'Stake (quote)'}
              error={errors['capital.stake.pct'] ?? errors['capital.stake.quote']}
            >
              <Input
                id="pair-list-stake-amount"
                type="number"
                inputMode="decimal"
                className="num"
                step="any"
                value={value.stakeAmount}
                disabled={disabled}
                aria-invalid={!!(errors['capital.stake.pct'] ?? errors['capital.stake.quote'])}
                onChange={(e) => set({ stakeAmount: e.target.value })}
              />
            </Field>
          ) : null}
        </div>
      ) : null}
    </fieldset>
  );
}

/**
 * The list a top-volume spec gives now on the exchange (the form's preview; saved, it is the strategy's `symbols`,
 * fixed for backtests and re-ranked hourly while a live-feed deployment runs). Asked only for a valid spec.
 */
function TopVolumePreview({ exchange, n, quote }: { exchange: string; n: string; quote: string }) {
  const trpc = useTRPC();
  const spec = { n: Number(n), quote: quote.trim().toUpperCase() };
  const valid = Number.isInteger(spec.n) && spec.n >= 1 && spec.n <= 100 && /^[A-Z0-9]{2,12}$/.test(spec.quote);
  const preview = useQuery(
    trpc.strategies.topVolumePreview.queryOptions(
      { exchange, pairlist: { type: 'top_volume', n: spec.n, quote: spec.quote } },
      { enabled: valid, retry: false, staleTime: 60_000 },
    ),
  );
  if (!valid) return <p className="text-xs text-muted">Give a number of pairs from 1 to 100 and a quote currency to see the list.</p>;
  if (preview.isPending)
    return (
      <div data-testid="top-volume-preview" aria-busy="true" className="space-y-1">
        <p className="text-xs text-muted">Ranking {exchange}’s markets by 24 h quote volume…</p>
        <Skeleton className="h-6 w-full" />
      </div>
    );
  if (preview.isError)
    return (
      <ErrorState
        title="Could not rank the markets"
        message={`${exchange}’s markets and 24 h volumes could not be read (${preview.error.message}). You can still save: the list is resolved then.`}
        retry={() => void preview.refetch()}
      />
    );
  if (preview.data.symbols.length === 0)
    return (
      <p data-testid="top-volume-preview" role="status" className="text-sm text-muted">
        No active {exchange} market quotes {spec.quote}: choose another quote currency.
      </p>
    );
  return (
    <div data-testid="top-volume-preview" className="space-y-1 text-sm">
      <p className="text-xs text-muted">
        Today’s top {preview.data.symbols.length} (saved as the strategy’s pairs; fixed for backtests, re-ranked hourly while a live deployment runs):
      </p>
      <ol className="flex flex-wrap gap-1.5">
        {preview.data.symbols.map((symbol, i) => (
          <li key={symbol} data-testid="top-volume-pair" className="rounded border border-border bg-panel-2 px-2 py-0.5 font-mono text-xs">
            <span className="text-muted">{i + 1}.</span> {symbol}
          </li>
        ))}
      </ol>
    </div>
  );
}

/** A count of pairs (1..100, whole): the top-volume list's N and the maximum of open positions. */
function PairCountInput(props: { id: string; value: string; disabled?: boolean; invalid: boolean; onChange: (value: string) => void }) {
  return (
    <Input
      id={props.id}
      type="number"
      inputMode="numeric"
      className="num"
      min={1}
      max={100}
      step={1}
      value={props.value}
      disabled={props.disabled}
      aria-invalid={props.invalid}
      onChange={(e) => props.onChange(e.target.value)}
    />
  );
}
