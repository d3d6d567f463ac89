/**
 * Deploying a strategy on an account (docs/trading.md): the request checked field by field (422 naming the field), the
 * feed resolved, the capital taken from the account, and the row, its audit entry and its event written in one
 * transaction. The kill switch refuses it while engaged (409).
 */
import { marketPrecision } from '@/server/services/market-data/precision';
import { and, eq } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { deployments, paperBalances, type DeploymentFeed, type DeploymentRiskLimits } from '@/db/schema';
import { AppError, type FieldIssue } from '@/server/core/errors';
import { compare, formatDecimal, parseDecimal } from '@/server/core/money';
import { isSignalStrategyType } from '@/server/core/strategies/signal';
import { timeframeToMs } from '@/server/core/timeframe';
import { parseTimeInput } from '@/server/core/time';
import { initialMachineState, initialPortfolioState } from '@/server/core/trading';
import { findOwnedAccount, isUuid, PAPER_EXCHANGE } from '@/server/services/accounts';
import { recordAudit } from '@/server/services/audit';
import { deploymentEvent, notifyEvent } from '@/server/services/events';
import { assertTradingAllowed } from '@/server/services/kill-switch/latch';
import { candleRange } from '@/server/services/market-data/candles';
import { applyStrategyEvent, getStrategyRow } from '@/server/services/strategies/strategies';
import { type DeploymentDeps } from './model';
import { checkDeployableStrategy } from './strategy-check';
import type { DeploymentView } from './views';
import { toDeploymentView } from './deployment-view';

export interface CreateDeploymentInput {
  accountId: string;
  mode: 'paper' | 'live';
  feed?: { type: 'live' | 'replay' | 'simulated'; start?: string | number; speed?: number };
  /** Largest position value, in quote. Required for live mode. */
  maxPositionQuote?: string;
  /** Quote the deployment trades with; default: the paper account's free quote (live: maxPositionQuote). */
  capitalQuote?: string;
  riskLimits?: DeploymentRiskLimits;
  /** Live mode only: must repeat the account's name and the maximum position, as the UI's confirmation. */
  confirm?: { accountName: string; maxPositionQuote: string };
}

const invalid = (issues: FieldIssue[]): never => {
  throw AppError.validation(issues);
};

/** ms since epoch, or an ISO 8601 time where no zone means UTC (server/core/time.ts), never the server's local time. */
function parseTime(value: string | number, field: string): number {
  const ms = parseTimeInput(value);
  if (Number.isNaN(ms)) invalid([{ field, message: 'must be an ISO 8601 time (no zone = UTC, e.g. 2024-01-01T00:00:00Z) or epoch milliseconds' }]);
  return ms;
}

function positiveDecimal(value: string | undefined, field: string): string | undefined {
  if (value === undefined) return undefined;
  try {
    return formatDecimal(parseDecimal(value, field, { allowZero: false }));
  } catch {
    return invalid([{ field, message: 'must be a positive decimal string' }]);
  }
}

function fractionValue(value: string | undefined, field: string): string | undefined {
  if (value === undefined) return undefined;
  try {
    return formatDecimal(parseDecimal(value, field, { allowZero: false, max: 1 }));
  } catch {
    return invalid([{ field, message: 'must be a fraction greater than 0 and at most 1' }]);
  }
}

function quoteOf(symbol: string): string {
  return symbol.split('/')[1] ?? 'USDT';
}

async function paperFreeQuote(db: DbOrTx, accountId: string, asset: string): Promise<string> {
  const [row] = await db
    .select({ free: paperBalances.free })
    .from(paperBalances)
    .where(and(eq(paperBalances.accountId, accountId), eq(paperBalances.asset, asset)));
  return row ? formatDecimal(row.free) : '0';
}

/** The stored candles' span over a pair list: from the earliest first to the latest last; a pair with none is named. */
async function pairListRange(db: DbOrTx, strategy: { exchange: string; symbols: readonly string[]; timeframe: string }) {
  let range: { firstMs: number; lastMs: number } | null = null;
  for (const [i, symbol] of strategy.symbols.entries()) {
    const own = await candleRange(db, { exchange: strategy.exchange, symbol, timeframe: strategy.timeframe });
    if (!own)
      invalid([{ field: `symbols[${i}]`, message: `no stored candles for ${strategy.exchange} ${symbol} ${strategy.timeframe} to replay: import some first` }]);
    range = range ? { firstMs: Math.min(range.firstMs, own!.firstMs), lastMs: Math.max(range.lastMs, own!.lastMs) } : own;
  }
  return range;
}

async function resolveFeed(
  db: DbOrTx,
  input: CreateDeploymentInput,
  strategy: { exchange: string; symbol: string; timeframe: string; symbols?: readonly string[] | null },
  now: number,
): Promise<DeploymentFeed> {
  const type = input.feed?.type ?? 'live';
  if (input.mode === 'live' && type !== 'live') invalid([{ field: 'feed.type', message: 'a live deployment trades on the live feed only' }]);
  const speed = input.feed?.speed;
  if (speed !== undefined && !(Number.isFinite(speed) && speed > 0 && speed <= 10_000_000))
    invalid([{ field: 'feed.speed', message: 'must be a number greater than 0 (1 = real time, 3600 = one 1h candle a second)' }]);
  if (type === 'live') {
    if (input.feed?.start !== undefined || speed !== undefined)
      invalid([{ field: 'feed', message: 'start and speed apply to replay and simulated feeds only' }]);
    return { type };
  }
  const step = timeframeToMs(strategy.timeframe);
  if (type === 'replay') {
    const range = strategy.symbols ? await pairListRange(db, { ...strategy, symbols: strategy.symbols }) : await candleRange(db, strategy);
    if (!range)
      invalid([
        { field: 'feed.type', message: `no stored candles for ${strategy.exchange} ${strategy.symbol} ${strategy.timeframe} to replay: import some first` },
      ]);
    const start = input.feed?.start === undefined ? range!.firstMs : parseTime(input.feed.start, 'feed.start');
    if (start > range!.lastMs) invalid([{ field: 'feed.start', message: `is after the last stored candle (${new Date(range!.lastMs).toISOString()})` }]);
    return { type, startMs: Math.max(Math.ceil(start / step) * step, range!.firstMs), speed: speed ?? 3600 };
  }
  const start = input.feed?.start === undefined ? Math.floor(now / step) * step : Math.floor(parseTime(input.feed.start, 'feed.start') / step) * step;
  return { type, startMs: start, speed: speed ?? 1 };
}

/** Deploys a strategy (POST /api/v1/strategies/{id}/deployments). */
export async function createDeployment(
  db: Db,
  userId: string,
  strategyId: string,
  input: CreateDeploymentInput,
  deps: DeploymentDeps = {},
): Promise<DeploymentView> {
  const now = (deps.now ?? Date.now)();
  if (input.mode !== 'paper' && input.mode !== 'live') invalid([{ field: 'mode', message: 'must be "paper" or "live"' }]);
  if (!isUuid(input.accountId ?? '')) invalid([{ field: 'accountId', message: 'must be the id of one of your accounts' }]);
  if (!isUuid(strategyId)) throw AppError.notFound('strategy');
  const strategy = await getStrategyRow(db, userId, strategyId);
  const signalDriven = isSignalStrategyType(strategy.type);
  const account = await findOwnedAccount(db, userId, input.accountId).catch((error: unknown) => {
    if (error instanceof AppError && error.code === 'NOT_FOUND') invalid([{ field: 'accountId', message: 'no such account' }]);
    throw error;
  });
  if (input.mode === 'paper' && account.exchange !== PAPER_EXCHANGE) invalid([{ field: 'accountId', message: 'paper mode needs a paper account' }]);
  if (input.mode === 'live' && account.exchange === PAPER_EXCHANGE)
    invalid([{ field: 'accountId', message: 'live mode needs a real exchange account, not a paper one' }]);
  if (input.mode === 'live' && account.exchange !== strategy.exchange)
    invalid([{ field: 'accountId', message: `the strategy trades on ${strategy.exchange}; this account is on ${account.exchange}` }]);
  if (strategy.symbols && signalDriven) invalid([{ field: 'strategyId', message: 'a signal strategy trades one symbol' }]);
  if (strategy.status === 'draft' && !signalDriven) throw new AppError('CONFLICT', 'backtest the strategy before deploying it (its status is draft)');
  if (strategy.status === 'archived') throw new AppError('CONFLICT', 'the strategy is archived; restore it first');
  if (strategy.status === 'paper' || strategy.status === 'live' || strategy.status === 'paused')
    throw new AppError('CONFLICT', `the strategy already has a ${strategy.status} deployment; stop it first`);
  if (input.mode === 'live' && strategy.status !== 'stopped')
    throw new AppError('CONFLICT', 'paper trade the strategy before going live (deploy it in paper mode, then stop it)');
  const deployable = await checkDeployableStrategy(db, userId, strategy);

  const maxPositionQuote = positiveDecimal(input.maxPositionQuote, 'maxPositionQuote');
  const riskLimits: DeploymentRiskLimits = {};
  const limits = input.riskLimits ?? {};
  if (limits.maxOrderNotional !== undefined) riskLimits.maxOrderNotional = positiveDecimal(limits.maxOrderNotional, 'riskLimits.maxOrderNotional');
  if (limits.dailyLossLimitQuote !== undefined) riskLimits.dailyLossLimitQuote = positiveDecimal(limits.dailyLossLimitQuote, 'riskLimits.dailyLossLimitQuote');
  if (limits.maxDrawdownFraction !== undefined) riskLimits.maxDrawdownFraction = fractionValue(limits.maxDrawdownFraction, 'riskLimits.maxDrawdownFraction');

  if (input.mode === 'live') {
    if (!maxPositionQuote) invalid([{ field: 'maxPositionQuote', message: 'is required for a live deployment' }]);
    const confirm = input.confirm;
    if (
      !confirm ||
      confirm.accountName !== account.name ||
      !positiveDecimal(confirm.maxPositionQuote, 'confirm.maxPositionQuote') ||
      compare(confirm.maxPositionQuote, maxPositionQuote!) !== 0
    ) {
      invalid([
        {
          field: 'confirm',
          message: `a live deployment must be confirmed with the account's name ("${account.name}") and the maximum position (${maxPositionQuote})`,
        },
      ]);
    }
  }

  // A signal deployment has no feed of its own: nothing happens on its bars (docs/signals.md).
  const feed: DeploymentFeed = signalDriven ? { type: 'live' } : await resolveFeed(db, input, strategy, now);
  const quote = quoteOf(strategy.symbol);
  let capital = positiveDecimal(input.capitalQuote, 'capitalQuote');
  if (input.mode === 'paper') {
    const free = await paperFreeQuote(db, account.id, quote);
    capital ??= free;
    if (compare(capital, '0') <= 0) invalid([{ field: 'accountId', message: `the paper account has no free ${quote} to trade ${strategy.symbol} with` }]);
    if (compare(capital, free) > 0) invalid([{ field: 'capitalQuote', message: `is more than the account's free ${quote} (${free})` }]);
  } else capital ??= maxPositionQuote!;

  const created = await db.transaction(async (tx) => {
    // First statement: the kill switch check that an engage cannot slip past (kill-switch/latch.ts).
    await assertTradingAllowed(tx, userId);
    const [row] = await tx
      .insert(deployments)
      .values({
        userId,
        strategyId: strategy.id,
        accountId: account.id,
        mode: input.mode,
        feed,
        strategy: {
          type: strategy.type,
          params: strategy.params,
          exchange: strategy.exchange,
          symbol: strategy.symbol,
          timeframe: strategy.timeframe,
          ...(strategy.symbols ? { symbols: strategy.symbols, capital: strategy.capital! } : {}),
          ...(strategy.symbols && strategy.pairlist ? { pairlist: strategy.pairlist } : {}),
          ...deployable,
        },
        capitalQuote: capital!,
        maxPositionQuote: maxPositionQuote ?? null,
        riskLimits,
        state: 'running',
        runner: (strategy.symbols ? initialPortfolioState(Number(capital), strategy.symbols) : initialMachineState(Number(capital))) as unknown as Record<
          string,
          unknown
        >,
        feedClock: feed.type === 'live' ? null : { feedTimeMs: feed.startMs!, wallMs: now },
        createdAt: new Date(now),
        updatedAt: new Date(now),
      })
      .onConflictDoNothing()
      .returning();
    if (!row) throw new AppError('CONFLICT', 'the strategy already has an active deployment; stop it first');
    const moved = await applyStrategyEvent(tx, userId, strategy.id, signalDriven ? 'start_signals' : input.mode === 'paper' ? 'start_paper' : 'go_live');
    if (!moved) throw new AppError('CONFLICT', `the strategy cannot start ${input.mode} trading from status ${strategy.status}`);
    if (input.mode === 'live')
      await recordAudit(tx, {
        type: 'deployment.live_started',
        userId,
        details: { deploymentId: row.id, strategyId: strategy.id, accountId: account.id, maxPositionQuote },
      });
    await notifyEvent(tx, deploymentEvent({ userId, deploymentId: row.id, state: row.state }));
    return row;
  });
  const precision = await marketPrecision(account.exchange, created.strategy.symbol);
  return toDeploymentView(created, { strategyName: strategy.name, accountName: account.name, precision }, now);
}
