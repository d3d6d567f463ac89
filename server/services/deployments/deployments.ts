/**
 * Deployments: a strategy trading an account, run by the worker (docs/trading.md).
 * This module holds what users do (deploy, list, pause, resume, stop); the worker side is ./tick.ts and
 * server/worker/deployment-runner.ts. The kill switch (server/services/kill-switch) pauses through
 * pauseRunningDeployments; while it is engaged, deploying and resuming are refused (409).
 *
 * Pause, stop and the kill switch raise the deployment's lease epoch and clear its lease in the same
 * statement that changes its state, so a runner that is mid-bar cannot write another order for it
 * (orders are written under a fencing check on that epoch).
 */
import { marketPrecision, precisionLookup, type MarketPrecision } from '@/server/services/market-data/precision';
import { and, desc, eq, getTableColumns, inArray, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import {
  deployments,
  exchangeAccounts,
  orders,
  paperBalances,
  strategies,
  type DeploymentFeed,
  type DeploymentRiskLimits,
  type DeploymentState,
} from '@/db/schema';
import { AppError, type FieldIssue } from '@/server/core/errors';
import { compare, formatDecimal, parseDecimal } from '@/server/core/money';
import { isSignalStrategyType } from '@/server/core/strategies/signal';
import { timeframeToMs } from '@/server/core/timeframe';
import { parseTimeInput } from '@/server/core/time';
import { initialMachineState, initialPortfolioState, isPortfolioState, type MachineState } from '@/server/core/trading';
import { findOwnedAccount, isUuid, PAPER_EXCHANGE } from '@/server/services/accounts';
import { recordAudit } from '@/server/services/audit';
import { deploymentEvent, notifyEvent } from '@/server/services/events';
import { assertTradingAllowed } from '@/server/services/kill-switch/latch';
import { candleRange } from '@/server/services/market-data/candles';
import { cancelOrder, OPEN_STATUSES, type OrderDeps } from '@/server/services/orders';
import { applyStrategyEvent, getStrategyRow } from '@/server/services/strategies/strategies';
import { feedTimeAt, type DeploymentDeps, type DeploymentRow } from './model';
import { closeDeploymentPosition } from './close-out';
import { checkDeployableStrategy } from './strategy-check';
import { closePortfolioPositions } from './portfolio-close-out';
import { transitionDeployment } from './transitions';

import { logger } from '@/server/logger';
import type { DeploymentView, StopResult } from './views';

export { feedTimeAt, type DeploymentDeps, type DeploymentRow };

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

const num = (value: number) => formatDecimal(String(Number.isFinite(value) ? Number(value.toPrecision(15)) : 0));
const isoMs = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

export function toDeploymentView(
  row: DeploymentRow,
  names: { strategyName?: string | null; accountName?: string | null; precision?: MarketPrecision } = {},
  now = Date.now(),
): DeploymentView {
  const stored = row.runner ?? initialMachineState(Number(row.capitalQuote));
  const portfolio = isPortfolioState(stored) ? stored : null;
  const runner = (portfolio ? { ...initialMachineState(1), ...portfolio, quantity: 0 } : stored) as unknown as MachineState;
  const positions = portfolio
    ? portfolio.pairs.map((pair) => ({
        symbol: pair.symbol,
        quantity: num(pair.quantity),
        entryPrice: pair.quantity > 0 ? num(pair.entryPrice) : null,
        entryTime: pair.quantity > 0 ? isoMs(pair.entryTime) : null,
        lastClose: pair.lastClose === null ? null : num(pair.lastClose),
        closedTrades: pair.closedTrades,
        realizedPnl: num(pair.realizedPnl),
      }))
    : [
        {
          symbol: row.strategy.symbol,
          quantity: num(runner.quantity),
          entryPrice: runner.quantity > 0 ? num(runner.entryPrice) : null,
          entryTime: runner.quantity > 0 ? isoMs(runner.entryTime) : null,
          lastClose: runner.lastClose === null || runner.lastClose === undefined ? null : num(runner.lastClose),
          closedTrades: runner.closedTrades,
          realizedPnl: num(runner.realizedPnl),
        },
      ];
  return {
    id: row.id,
    strategyId: row.strategyId,
    strategyName: names.strategyName ?? null,
    accountId: row.accountId,
    accountName: names.accountName ?? null,
    mode: row.mode,
    feed: { type: row.feed.type, start: isoMs(row.feed.startMs), speed: row.feed.speed ?? null },
    strategy: row.strategy,
    state: row.state,
    stateReason: row.stateReason,
    capitalQuote: formatDecimal(row.capitalQuote),
    maxPositionQuote: row.maxPositionQuote === null ? null : formatDecimal(row.maxPositionQuote),
    riskLimits: row.riskLimits,
    lastBarTime: isoMs(row.lastBarTime),
    lastDecision: row.lastDecision ? { ...row.lastDecision, barTime: new Date(row.lastDecision.barTime).toISOString() } : null,
    scriptLog: row.scriptLog ?? null,
    feedTime: isoMs(feedTimeAt(row, now)),
    position: {
      quantity: num(runner.quantity),
      entryPrice: runner.quantity > 0 ? num(runner.entryPrice) : null,
      entryTime: runner.quantity > 0 ? isoMs(runner.entryTime) : null,
    },
    positions,
    cash: num(runner.cash),
    equity: num(runner.equity),
    equityPeak: num(runner.equityPeak),
    realizedPnl: num(runner.realizedPnl),
    closedTrades: runner.closedTrades,
    worker: row.state === 'running' && row.leaseExpiresAt && row.leaseExpiresAt.getTime() > now ? row.leaseOwner : null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    endedAt: row.endedAt ? row.endedAt.toISOString() : null,
    priceTick: names.precision?.priceTick ?? null,
    amountStep: names.precision?.amountStep ?? null,
  };
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

async function withNames(db: DbOrTx, rows: DeploymentRow[], now: number): Promise<DeploymentView[]> {
  if (rows.length === 0) return [];
  const strategyIds = [...new Set(rows.map((r) => r.strategyId))];
  const accountIds = [...new Set(rows.map((r) => r.accountId))];
  const [strategyNames, accountNames] = await Promise.all([
    db.select({ id: strategies.id, name: strategies.name }).from(strategies).where(inArray(strategies.id, strategyIds)),
    db
      .select({ id: exchangeAccounts.id, name: exchangeAccounts.name, exchange: exchangeAccounts.exchange })
      .from(exchangeAccounts)
      .where(inArray(exchangeAccounts.id, accountIds)),
  ]);
  const s = new Map(strategyNames.map((r) => [r.id, r.name]));
  const a = new Map(accountNames.map((r) => [r.id, r]));
  // Its market's precision on its account's exchange (the orders it places are on that account).
  const precisionOf = await precisionLookup(accountNames.map((r) => r.exchange));
  return rows.map((row) => {
    const account = a.get(row.accountId);
    const precision = account ? precisionOf(account.exchange, row.strategy.symbol) : undefined;
    return toDeploymentView(row, { strategyName: s.get(row.strategyId) ?? null, accountName: account?.name ?? null, precision }, now);
  });
}

export async function listDeployments(
  db: DbOrTx,
  userId: string,
  filters: { strategyId?: string; state?: DeploymentState; accountId?: string } = {},
  deps: DeploymentDeps = {},
): Promise<DeploymentView[]> {
  const where = [eq(deployments.userId, userId)];
  // Filtering by another user's strategy or account is NOT_FOUND, as addressing it directly would be.
  if (filters.strategyId) {
    if (!isUuid(filters.strategyId)) throw AppError.notFound('strategy');
    await getStrategyRow(db, userId, filters.strategyId);
    where.push(eq(deployments.strategyId, filters.strategyId));
  }
  if (filters.accountId) {
    if (!isUuid(filters.accountId)) throw AppError.notFound('account');
    await findOwnedAccount(db, userId, filters.accountId);
    where.push(eq(deployments.accountId, filters.accountId));
  }
  if (filters.state) where.push(eq(deployments.state, filters.state));
  // A script's log (up to 200 lines) is the detail view's: a list of many script deployments would carry megabytes.
  const rows = await db
    .select({ ...getTableColumns(deployments), scriptLog: sql<null>`null` })
    .from(deployments)
    .where(and(...where))
    .orderBy(desc(deployments.createdAt), desc(deployments.id))
    .limit(500);
  return withNames(db, rows, (deps.now ?? Date.now)());
}

export async function findOwnedDeployment(db: DbOrTx, userId: string, id: string): Promise<DeploymentRow> {
  if (!isUuid(id)) throw AppError.notFound('deployment');
  const [row] = await db
    .select()
    .from(deployments)
    .where(and(eq(deployments.id, id), eq(deployments.userId, userId)))
    .limit(1);
  if (!row) throw AppError.notFound('deployment');
  return row;
}

export async function getDeployment(db: DbOrTx, userId: string, id: string, deps: DeploymentDeps = {}): Promise<DeploymentView> {
  const row = await findOwnedDeployment(db, userId, id);
  return (await withNames(db, [row], (deps.now ?? Date.now)()))[0]!;
}

export async function pauseDeployment(db: Db, userId: string, id: string, deps: DeploymentDeps = {}, reason = 'paused by the user'): Promise<DeploymentView> {
  const now = (deps.now ?? Date.now)();
  const row = await findOwnedDeployment(db, userId, id);
  if (row.state === 'paused') return getDeployment(db, userId, id, deps);
  const updated = await transitionDeployment(db, row, { event: 'pause', reason, now });
  if (!updated) throw new AppError('CONFLICT', `the deployment is ${row.state}: only a running deployment can be paused`);
  return (await withNames(db, [updated], now))[0]!;
}

export async function resumeDeployment(db: Db, userId: string, id: string, deps: DeploymentDeps = {}): Promise<DeploymentView> {
  const now = (deps.now ?? Date.now)();
  const row = await findOwnedDeployment(db, userId, id);
  if (row.state === 'running') return getDeployment(db, userId, id, deps);
  const updated = await db.transaction(async (tx) => {
    // First statement: the kill switch check that an engage cannot slip past (kill-switch/latch.ts).
    await assertTradingAllowed(tx, userId);
    const next = await transitionDeployment(tx, row, { event: 'resume', reason: null, now });
    if (!next) throw new AppError('CONFLICT', `the deployment is ${row.state}: only a paused deployment can be resumed`);
    return next;
  });
  return (await withNames(db, [updated], now))[0]!;
}

/** Cancels the deployment's resting orders; returns how many were canceled and what failed. */
async function cancelDeploymentOrders(db: Db, userId: string, deploymentId: string | null, deps: OrderDeps): Promise<{ canceled: number; failures: string[] }> {
  const where = [eq(orders.userId, userId), inArray(orders.status, ['open', 'partially_filled'])];
  if (deploymentId) where.push(eq(orders.deploymentId, deploymentId));
  const open = await db
    .select({ id: orders.id, clientOrderId: orders.clientOrderId })
    .from(orders)
    .where(and(...where));
  let canceled = 0;
  const failures: string[] = [];
  for (const order of open) {
    try {
      await cancelOrder(db, userId, order.id, deps);
      canceled++;
    } catch (error) {
      failures.push(`${order.clientOrderId}: ${error instanceof AppError ? error.message : 'cancel failed'}`);
      if (!(error instanceof AppError)) logger.warn({ orderId: order.id, err: error }, 'cancel during stop failed');
    }
  }
  return { canceled, failures };
}

/**
 * Stops a running or paused deployment: it will not trade again; its resting orders are canceled and, if
 * asked, its position is sold at market (paper: at the feed's current price; a replay: its last close).
 */
export async function stopDeployment(
  db: Db,
  userId: string,
  id: string,
  options: { closePosition?: boolean } = {},
  deps: DeploymentDeps = {},
): Promise<StopResult> {
  const now = (deps.now ?? Date.now)();
  const row = await findOwnedDeployment(db, userId, id);
  const stopped = await db.transaction(async (tx) => {
    const next = await transitionDeployment(tx, row, {
      event: 'stop',
      reason: options.closePosition ? 'stopped by the user; position closed' : 'stopped by the user',
      now,
    });
    if (!next) throw new AppError('CONFLICT', `the deployment is already ${row.state}`);
    await tx
      .update(deployments)
      .set({ closeOnStop: options.closePosition ?? false })
      .where(eq(deployments.id, id));
    await recordAudit(tx, { type: 'deployment.stopped', userId, details: { deploymentId: id, closePosition: options.closePosition ?? false } });
    return next;
  });
  const { canceled, failures } = await cancelDeploymentOrders(db, userId, id, deps);
  let closeOrderId: string | null = null;
  const runner = stopped.runner as unknown as MachineState | null;
  if (options.closePosition && isPortfolioState(stopped.runner) && stopped.runner.pairs.some((p) => p.quantity > 0)) {
    try {
      closeOrderId = await closePortfolioPositions(db, userId, stopped, stopped.runner, deps);
    } catch (error) {
      failures.push(`closing the positions: ${error instanceof AppError ? error.message : 'a sell order failed'}`);
      if (!(error instanceof AppError)) logger.warn({ deploymentId: id, err: error }, 'closing a stopped pair-list deployment position failed');
    }
  } else if (options.closePosition && runner && runner.quantity > 0) {
    try {
      closeOrderId = await closeDeploymentPosition(db, userId, stopped, runner, deps);
    } catch (error) {
      failures.push(`closing the position: ${error instanceof AppError ? error.message : 'the sell order failed'}`);
      if (!(error instanceof AppError)) logger.warn({ deploymentId: id, err: error }, 'closing a stopped deployment position failed');
    }
  }
  // The stop itself was announced at its commit; this one is for what came after (orders canceled, position sold).
  await notifyEvent(db, deploymentEvent({ userId, deploymentId: id, state: 'stopped', followUp: true }));
  return { deployment: await getDeployment(db, userId, id, deps), canceledOrders: canceled, closeOrderId, failures };
}

/**
 * Pauses every running deployment of `userId` (null: of every user) in the caller's transaction (the table's
 * `kill_switch` event: lease revoked, strategy paused, announced at the commit). The kill switch's engage
 * calls it; rows are locked in id order. Returns the paused deployments.
 */
export async function pauseRunningDeployments(tx: DbOrTx, userId: string | null, reason: string, now: number): Promise<DeploymentRow[]> {
  const where = userId === null ? eq(deployments.state, 'running') : and(eq(deployments.userId, userId), eq(deployments.state, 'running'));
  const running = await tx.select().from(deployments).where(where).orderBy(deployments.id).for('update');
  const paused: DeploymentRow[] = [];
  for (const row of running) {
    const next = await transitionDeployment(tx, row, { event: 'kill_switch', reason, now });
    if (next) paused.push(next);
  }
  return paused;
}

/** Open orders of a deployment (new, open, partially filled, unknown). */
export async function deploymentOpenOrderCount(db: DbOrTx, deploymentId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(orders)
    .where(and(eq(orders.deploymentId, deploymentId), inArray(orders.status, OPEN_STATUSES)));
  return row?.n ?? 0;
}
