'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { fieldErrors, useTRPC } from '@/components/trpc/client';
import { Button } from '@/components/ui/button';
import { ConfirmDialog } from '@/components/ui/confirm-dialog';
import { Field, Input } from '@/components/ui/input';
import { ErrorState, Skeleton } from '@/components/ui/states';
import type { CreateDeploymentRequest } from '@/server/api/schemas/deployments';
import type { StrategyResponse } from '@/server/api/schemas/strategies';
import { formatCount, parseDecimal } from '@/components/format';
import { canTradeLive, unmetPreconditions } from './preconditions';
import { useTradingHalted } from './use-kill-switch';

const SELECT_CLASS = 'h-9 w-full rounded-md border border-border bg-panel-2 px-3 text-sm text-fg focus:border-accent focus:outline-none';
/** Replay/simulated speeds offered: real time, a minute a second, an hour a second, ten hours a second. */
export const SPEED_PRESETS = [1, 60, 3600, 36000] as const;
type FeedType = 'live' | 'replay' | 'simulated';

/** The fields the form shows errors next to; an error on any other field goes to the banner. */
const FORM_FIELDS = [
  'accountId',
  'mode',
  'feed.type',
  'feed.start',
  'feed.speed',
  'maxPositionQuote',
  'capitalQuote',
  'riskLimits.maxOrderNotional',
  'riskLimits.dailyLossLimitQuote',
  'riskLimits.maxDrawdownFraction',
] as const;

/** "2021-01-01T00:00" (datetime-local, read as UTC) ↔ ms. */
/** A percentage typed by the user as the fraction the API takes ("20" → "0.2"); the text as typed when it is not a number, so the server names the problem. */
function percentToFraction(value: string): string {
  const d = parseDecimal(value);
  return d ? d.div(100).toFixed() : value.trim();
}

const toInput = (ms: number) => new Date(ms).toISOString().slice(0, 16);

interface Values {
  mode: 'paper' | 'live';
  accountId: string;
  feedType: FeedType;
  start: string;
  speed: number;
  maxPositionQuote: string;
  capitalQuote: string;
  maxOrderNotional: string;
  dailyLossLimitQuote: string;
  maxDrawdownPct: string;
}

/**
 * Deploys a strategy: paper (a paper account; the live feed, a replay of stored candles from a chosen time at
 * a chosen speed, or the simulated market) or live (a real account, after a confirmation naming the account
 * and the maximum position). The preconditions (preconditions.ts) are shown before any confirmation, and the
 * Live mode is not offered on a market that cannot trade live. Opens the deployment's page on success.
 */
export function DeployForm({ strategy }: { strategy: StrategyResponse }) {
  const halted = useTradingHalted();
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  // Always re-read on opening: an account added elsewhere (another tab, the API) must be offered.
  const accounts = useQuery({ ...trpc.accounts.list.queryOptions(), staleTime: 0 });
  const markets = useQuery(trpc.strategies.markets.queryOptions());
  const exchanges = useQuery(trpc.accounts.exchanges.queryOptions());
  const [values, setValues] = useState<Values>({
    mode: 'paper',
    accountId: '',
    feedType: 'replay',
    start: '',
    speed: 3600,
    maxPositionQuote: '',
    capitalQuote: '',
    maxOrderNotional: '',
    dailyLossLimitQuote: '',
    maxDrawdownPct: '',
  });
  const [confirming, setConfirming] = useState(false);
  const [localErrors, setLocalErrors] = useState<Record<string, string>>({});
  const create = useMutation(
    trpc.deployments.create.mutationOptions({
      onSuccess: (deployment) => {
        setConfirming(false);
        void queryClient.invalidateQueries({ queryKey: trpc.deployments.pathKey() });
        void queryClient.invalidateQueries({ queryKey: trpc.strategies.pathKey() });
        router.push(`/deployments/${deployment.id}`);
      },
      onError: () => setConfirming(false),
    }),
  );

  if (accounts.isPending || markets.isPending || exchanges.isPending) return <Skeleton className="h-72 w-full" />;
  if (accounts.isError) return <ErrorState message="Could not load your accounts." retry={() => void accounts.refetch()} />;

  // Unknown exchanges (the list failed to load) offer no Live mode: never a real-money path we cannot check.
  // A signal strategy (docs/signals.md) has no feed: its signals are its decisions, on paper or live.
  const signalDriven = strategy.type === 'signal';
  const liveOffered = canTradeLive(
    strategy,
    (exchanges.data ?? []).map((e) => e.id),
  );
  const mode = liveOffered ? values.mode : 'paper';
  const unmet = unmetPreconditions(mode, strategy, accounts.data);

  const stored = markets.data?.find((m) => m.exchange === strategy.exchange && m.symbol === strategy.symbol && m.timeframe === strategy.timeframe);
  const [, quoteAsset = 'quote'] = strategy.symbol.split('/');
  // Live trading needs a real account on the strategy's own exchange.
  const eligible = accounts.data.filter((a) => (mode === 'paper' ? a.kind === 'paper' : a.kind === 'exchange' && a.exchange === strategy.exchange));
  const account = eligible.find((a) => a.id === values.accountId) ?? eligible[0];
  const feedType: FeedType = mode === 'live' || signalDriven ? 'live' : values.feedType;
  const start = values.start || (stored ? toInput(stored.firstTime) : '');
  const errors = { ...fieldErrors(create.error), ...localErrors };
  const other = Object.entries(errors).filter(([field]) => !(FORM_FIELDS as readonly string[]).includes(field));
  const set =
    <K extends keyof Values>(key: K) =>
    (value: Values[K]) =>
      setValues((v) => ({ ...v, [key]: value }));
  const text = (key: keyof Values) => (e: React.ChangeEvent<HTMLInputElement>) => set(key)(e.target.value as never);

  function request(): CreateDeploymentRequest & { strategyId: string } {
    const optional = (value: string) => (value.trim() === '' ? undefined : value.trim());
    const riskLimits = {
      maxOrderNotional: optional(values.maxOrderNotional),
      dailyLossLimitQuote: optional(values.dailyLossLimitQuote),
      maxDrawdownFraction: values.maxDrawdownPct.trim() === '' ? undefined : percentToFraction(values.maxDrawdownPct),
    };
    const maxPositionQuote = optional(values.maxPositionQuote);
    return {
      strategyId: strategy.id,
      accountId: account?.id ?? '',
      mode,
      feed:
        feedType === 'live' ? { type: 'live' } : { type: feedType, ...(feedType === 'replay' && start ? { start: `${start}:00Z` } : {}), speed: values.speed },
      ...(maxPositionQuote ? { maxPositionQuote } : {}),
      ...(mode === 'paper' && optional(values.capitalQuote) ? { capitalQuote: optional(values.capitalQuote) } : {}),
      ...(Object.values(riskLimits).some((v) => v !== undefined) ? { riskLimits } : {}),
      ...(mode === 'live' && account ? { confirm: { accountName: account.name, maxPositionQuote: maxPositionQuote ?? '' } } : {}),
    };
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    create.reset();
    if (unmet.length > 0) return;
    // The API takes a fraction; a percentage outside (0, 100] would come back as a fraction error that reads oddly here.
    const drawdown = Number(values.maxDrawdownPct.trim());
    const local: Record<string, string> = {};
    if (values.maxDrawdownPct.trim() !== '' && Number.isFinite(drawdown) && (drawdown <= 0 || drawdown > 100))
      local['riskLimits.maxDrawdownFraction'] = 'must be more than 0 and at most 100 %';
    // Checked here too, so the real-money confirmation never opens on a request the server must refuse.
    if (mode === 'live' && values.maxPositionQuote.trim() === '') local.maxPositionQuote = 'is required for a live deployment';
    setLocalErrors(local);
    if (Object.keys(local).length) return;
    if (mode === 'live') setConfirming(true);
    else create.mutate(request());
  }

  const conflict = create.error?.data?.code === 'CONFLICT';
  const needsBacktest = conflict && /backtest/i.test(create.error?.message ?? '');

  return (
    <form onSubmit={submit} noValidate className="space-y-4" aria-label="Deploy">
      {liveOffered ? (
        <div role="radiogroup" aria-label="Mode" className="grid grid-cols-2 gap-2">
          {(['paper', 'live'] as const).map((option) => (
            <Button
              key={option}
              type="button"
              role="radio"
              aria-checked={mode === option}
              variant={mode === option ? (option === 'live' ? 'danger' : 'primary') : 'secondary'}
              onClick={() => setValues((v) => ({ ...v, mode: option, accountId: '' }))}
            >
              {option === 'paper' ? 'Paper' : 'Live (real money)'}
            </Button>
          ))}
        </div>
      ) : (
        <p className="text-sm text-muted" data-testid="live-unavailable">
          Paper only: {strategy.exchange === 'simulated' ? 'the simulated market' : strategy.exchange} cannot be traded with real money.
        </p>
      )}
      {errors.mode ? (
        <p role="alert" className="text-xs text-loss">
          {errors.mode}
        </p>
      ) : null}

      {unmet.length > 0 ? (
        <div role="status" aria-label="Before deploying" className="space-y-2 rounded-lg border border-warn/40 bg-warn/10 px-4 py-3 text-sm">
          <p className="font-medium">Before {mode === 'live' ? 'trading live' : 'deploying'}:</p>
          <ul className="list-inside list-disc space-y-1">
            {unmet.map((p) => (
              <li key={p.key} data-testid={`precondition-${p.key}`}>
                {p.message}{' '}
                {p.fix ? (
                  <Link className="text-accent underline" href={p.fix.href}>
                    {p.fix.label}
                  </Link>
                ) : null}
              </li>
            ))}
          </ul>
        </div>
      ) : (
        <div className="grid gap-4 sm:grid-cols-2">
          <Field id="deploy-account" label="Account" error={errors.accountId}>
            <select
              id="deploy-account"
              className={SELECT_CLASS}
              value={account?.id ?? ''}
              onChange={(e) => set('accountId')(e.target.value)}
              aria-invalid={!!errors.accountId}
            >
              {eligible.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name} ({a.kind === 'paper' ? 'paper' : a.exchange})
                </option>
              ))}
            </select>
          </Field>
          {signalDriven ? (
            <p className="text-sm text-muted" data-testid="deploy-signal-note">
              Its orders come from signals: once deployed, its page shows the webhook URL and a TradingView alert template.
            </p>
          ) : (
            <>
              <Field
                id="deploy-feed"
                label="Market data feed"
                error={errors['feed.type'] ?? errors.feed}
                hint={mode === 'live' ? 'A live deployment trades on live exchange data.' : undefined}
              >
                <select
                  id="deploy-feed"
                  className={SELECT_CLASS}
                  value={feedType}
                  disabled={mode === 'live'}
                  onChange={(e) => set('feedType')(e.target.value as FeedType)}
                  aria-invalid={!!errors['feed.type']}
                >
                  <option value="live">Live exchange data</option>
                  {mode === 'paper' ? <option value="replay">Replay of stored candles</option> : null}
                  {mode === 'paper' ? <option value="simulated">Simulated market</option> : null}
                </select>
              </Field>
              {feedType === 'replay' ? (
                <Field
                  id="deploy-start"
                  label="Replay start (UTC)"
                  error={errors['feed.start']}
                  hint={
                    stored
                      ? `Stored: ${toInput(stored.firstTime).replace('T', ' ')} → ${toInput(stored.lastTime).replace('T', ' ')} UTC`
                      : markets.isError
                        ? 'Could not read which candles are stored; the replay starts at the first one unless you pick a time.'
                        : `No stored ${strategy.symbol} ${strategy.timeframe} candles on ${strategy.exchange}: import some on the Data page.`
                  }
                >
                  <Input id="deploy-start" type="datetime-local" value={start} onChange={text('start')} aria-invalid={!!errors['feed.start']} />
                </Field>
              ) : null}
              {feedType !== 'live' ? (
                <Field
                  id="deploy-speed"
                  label="Speed"
                  error={errors['feed.speed']}
                  hint={`${formatCount(values.speed)}× real time: one ${strategy.timeframe} candle every ${candleSeconds(strategy.timeframe, values.speed)}.`}
                >
                  <select
                    id="deploy-speed"
                    className={SELECT_CLASS}
                    value={values.speed}
                    onChange={(e) => set('speed')(Number(e.target.value))}
                    aria-invalid={!!errors['feed.speed']}
                  >
                    {SPEED_PRESETS.map((speed) => (
                      <option key={speed} value={speed}>
                        {formatCount(speed)}×{speed === 1 ? ' (real time)' : ''}
                      </option>
                    ))}
                  </select>
                </Field>
              ) : null}
            </>
          )}
          <Field
            id="deploy-max-position"
            label={`Maximum position (${quoteAsset})`}
            error={errors.maxPositionQuote}
            hint={mode === 'live' ? 'Required for live trading: entries are sized down to fit it.' : 'Optional: entries are sized down to fit it.'}
          >
            <Input
              id="deploy-max-position"
              inputMode="decimal"
              className="num text-right"
              value={values.maxPositionQuote}
              onChange={text('maxPositionQuote')}
              aria-invalid={!!errors.maxPositionQuote}
            />
          </Field>
          {mode === 'paper' ? (
            <Field
              id="deploy-capital"
              label={`Capital (${quoteAsset})`}
              error={errors.capitalQuote}
              hint={`Optional: default is the account's free ${quoteAsset}.`}
            >
              <Input
                id="deploy-capital"
                inputMode="decimal"
                className="num text-right"
                value={values.capitalQuote}
                onChange={text('capitalQuote')}
                aria-invalid={!!errors.capitalQuote}
              />
            </Field>
          ) : null}
          <fieldset className="space-y-3 sm:col-span-2">
            <legend className="mb-2 text-sm font-medium">Risk limits (optional)</legend>
            <div className="grid gap-4 sm:grid-cols-3">
              <Field id="deploy-max-order" label={`Max order notional (${quoteAsset})`} error={errors['riskLimits.maxOrderNotional']}>
                <Input
                  id="deploy-max-order"
                  inputMode="decimal"
                  className="num text-right"
                  value={values.maxOrderNotional}
                  onChange={text('maxOrderNotional')}
                  aria-invalid={!!errors['riskLimits.maxOrderNotional']}
                />
              </Field>
              <Field
                id="deploy-daily-loss"
                label={`Daily loss limit (${quoteAsset})`}
                error={errors['riskLimits.dailyLossLimitQuote']}
                hint="Pauses the deployment when reached."
              >
                <Input
                  id="deploy-daily-loss"
                  inputMode="decimal"
                  className="num text-right"
                  value={values.dailyLossLimitQuote}
                  onChange={text('dailyLossLimitQuote')}
                  aria-invalid={!!errors['riskLimits.dailyLossLimitQuote']}
                />
              </Field>
              <Field
                id="deploy-max-drawdown"
                label="Max drawdown (%)"
                error={errors['riskLimits.maxDrawdownFraction']}
                hint="Pauses it when equity falls this far below its peak."
              >
                <Input
                  id="deploy-max-drawdown"
                  inputMode="decimal"
                  className="num text-right"
                  value={values.maxDrawdownPct}
                  onChange={text('maxDrawdownPct')}
                  aria-invalid={!!errors['riskLimits.maxDrawdownFraction']}
                />
              </Field>
            </div>
          </fieldset>
        </div>
      )}

      {create.error && (other.length > 0 || Object.keys(errors).length === 0) ? (
        <div role="alert" className="flex flex-col items-start gap-2 rounded-lg border border-loss/40 bg-loss/10 px-4 py-3 text-sm">
          <p className="font-medium text-loss">Not deployed</p>
          {other.length > 0 ? (
            <ul className="list-inside list-disc">
              {other.map(([field, message]) => (
                <li key={field}>
                  {field}: {message}
                </li>
              ))}
            </ul>
          ) : (
            <p>{create.error.message}</p>
          )}
          {needsBacktest ? (
            <a className="text-accent underline" href="#backtest">
              Run a backtest first
            </a>
          ) : null}
        </div>
      ) : null}

      {halted ? (
        <p role="status" data-testid="deploy-halted" className="rounded-md border border-loss/40 bg-loss/10 p-2 text-sm text-loss">
          {halted}
        </p>
      ) : null}
      <Button
        type="submit"
        variant={mode === 'live' ? 'danger' : 'primary'}
        disabled={create.isPending || unmet.length > 0 || halted !== null}
        title={halted ?? undefined}
      >
        {create.isPending ? 'Deploying…' : mode === 'live' ? 'Review live deployment' : 'Deploy to paper'}
      </Button>

      <ConfirmDialog
        open={confirming}
        onOpenChange={setConfirming}
        title="Start live trading?"
        confirmLabel="Deploy live"
        danger
        pending={create.isPending}
        onConfirm={() => create.mutate(request())}
        description={
          <>
            <p>
              {strategy.name} will place <span className="font-medium text-fg">real orders</span> for {strategy.symbol} on the account{' '}
              <span className="font-medium text-fg" data-testid="confirm-account">
                {account?.name}
              </span>{' '}
              ({account?.exchange}), with real money.
            </p>
            <p>
              Maximum position:{' '}
              <span className="num font-medium text-fg" data-testid="confirm-max-position">
                {values.maxPositionQuote.trim() ? `${values.maxPositionQuote.trim()} ${quoteAsset}` : 'not set (required)'}
              </span>
              .
            </p>
            <p>Pause, stop or the kill switch end it at any time.</p>
          </>
        }
      />
    </form>
  );
}

/** How long one candle takes at `speed`, in words. */
function candleSeconds(timeframe: string, speed: number): string {
  const match = /^(\d+)([mhdwM])$/.exec(timeframe);
  if (!match) return 'candle';
  const unit = { m: 60, h: 3600, d: 86400, w: 604800, M: 2592000 }[match[2] as 'm' | 'h' | 'd' | 'w' | 'M'];
  const seconds = (Number(match[1]) * unit) / speed;
  if (seconds >= 3600) return `${+(seconds / 3600).toFixed(1)} h`;
  if (seconds >= 60) return `${+(seconds / 60).toFixed(1)} min`;
  return `${+seconds.toFixed(2)} s`;
}
