/**
 * The portfolio (docs/portfolio.md): per account its balances, positions (average cost, from the fills of
 * its orders), equity, realized and unrealized P&L and P&L today, plus totals across accounts. Every query
 * is scoped by the user's id. A real account whose exchange cannot be reached is returned with `error`
 * (and unpriced positions), never failing the whole request.
 */
import { and, asc, desc, eq, gte, inArray, lte, type SQL } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { deployments, equitySnapshots, exchangeAccounts, fills, orders } from '@/db/schema';
import { AppError } from '@/server/core/errors';
import { Decimal } from '@/server/core/money';
import { isUuid, PAPER_EXCHANGE, type AccountRow, type BalanceView } from '@/server/services/accounts';
import { syncPaperOrders } from '@/server/services/orders';
import { precisionLookup, type MarketPrecision } from '@/server/services/market-data/precision';
import { unitValue, type MarkSource } from './marks';
import { replayPositions, type PositionFill, type PositionState } from './positions';
import {
  accountHoldings,
  AccountValuationError,
  DEFAULT_VALUATION_CURRENCY,
  equityOf,
  NO_MARKS,
  out,
  type AccountFailure,
  type PortfolioDeps,
} from './valuation';
import type { AccountPortfolio, PnlTodayBasis, Portfolio, PositionView } from './views';

export const DAY_MS = 86_400_000;
/** A snapshot counts as "equity at 00:00 UTC" if it was taken in the hour up to and including midnight. */
export const MIDNIGHT_SNAPSHOT_TOLERANCE_MS = 3_600_000;

export interface PortfolioOptions {
  /** Valuation currency of equity and P&L (default USDT). */
  currency?: string;
  /** Only this deployment: its account, and positions from its orders' fills only. */
  deploymentId?: string;
}

const sumOf = (values: Array<string | null>) => values.reduce((total, value) => (value === null ? total : total.plus(value)), new Decimal(0));

export const startOfUtcDay = (timeMs: number): number => Math.floor(timeMs / DAY_MS) * DAY_MS;

interface AccountFills {
  fills: PositionFill[];
}

/** Fills of the user's orders on these accounts (optionally of one deployment), oldest first. */
async function loadFills(db: DbOrTx, userId: string, accountIds: string[], deploymentId?: string): Promise<Map<string, AccountFills>> {
  const byAccount = new Map<string, AccountFills>(accountIds.map((id) => [id, { fills: [] }]));
  if (accountIds.length === 0) return byAccount;
  const where: SQL[] = [eq(orders.userId, userId), inArray(orders.accountId, accountIds)];
  if (deploymentId) where.push(eq(orders.deploymentId, deploymentId));
  const rows = await db
    .select({
      accountId: orders.accountId,
      symbol: orders.symbol,
      side: orders.side,
      quantity: fills.quantity,
      price: fills.price,
      fee: fills.fee,
      feeCurrency: fills.feeCurrency,
      executedAt: fills.executedAt,
      orderCreatedAt: orders.createdAt,
    })
    .from(fills)
    .innerJoin(orders, eq(orders.id, fills.orderId))
    .where(and(...where))
    .orderBy(asc(fills.executedAt), asc(fills.id));
  for (const { orderCreatedAt, ...row } of rows) {
    const executedAtMs = row.executedAt.getTime();
    // Booked by the wall clock: a replay stamps its fills with its feed's (past) time, but books them now.
    byAccount.get(row.accountId)?.fills.push({ ...row, executedAtMs, bookedAtMs: Math.max(executedAtMs, orderCreatedAt.getTime()) });
  }
  return byAccount;
}

/** Per account, the equity of the latest snapshot in (midnight − tolerance, midnight] in this currency. */
async function midnightEquity(db: DbOrTx, userId: string, accountIds: string[], currency: string, midnightMs: number): Promise<Map<string, Decimal>> {
  if (accountIds.length === 0) return new Map();
  const rows = await db
    .selectDistinctOn([equitySnapshots.accountId], { accountId: equitySnapshots.accountId, equity: equitySnapshots.equity })
    .from(equitySnapshots)
    .where(
      and(
        eq(equitySnapshots.userId, userId),
        inArray(equitySnapshots.accountId, accountIds),
        eq(equitySnapshots.currency, currency),
        gte(equitySnapshots.time, new Date(midnightMs - MIDNIGHT_SNAPSHOT_TOLERANCE_MS)),
        lte(equitySnapshots.time, new Date(midnightMs)),
      ),
    )
    .orderBy(equitySnapshots.accountId, desc(equitySnapshots.time));
  return new Map(rows.map((r) => [r.accountId, new Decimal(r.equity)]));
}

/** The accounts in scope: all of the user's, or the one a deployment of the user's trades. */
async function accountsInScope(db: DbOrTx, userId: string, deploymentId: string | undefined): Promise<AccountRow[]> {
  const where: SQL[] = [eq(exchangeAccounts.userId, userId)];
  if (deploymentId !== undefined) {
    if (!isUuid(deploymentId)) throw AppError.notFound('deployment');
    const [deployment] = await db
      .select({ accountId: deployments.accountId })
      .from(deployments)
      .where(and(eq(deployments.id, deploymentId), eq(deployments.userId, userId)))
      .limit(1);
    if (!deployment) throw AppError.notFound('deployment');
    where.push(eq(exchangeAccounts.id, deployment.accountId));
  }
  return db
    .select()
    .from(exchangeAccounts)
    .where(and(...where))
    .orderBy(asc(exchangeAccounts.createdAt), asc(exchangeAccounts.name));
}

interface PositionValuation {
  view: PositionView;
  /** In the position's quote currency; null without a mark. */
  unrealized: Decimal | null;
}

async function valuePosition(position: PositionState, marks: MarkSource, precision: MarketPrecision): Promise<PositionValuation> {
  const mark = position.quantity.gt(0) ? await marks.latest(position.symbol) : null;
  const marketValue = mark ? mark.price.times(position.quantity) : null;
  const unrealized = marketValue ? marketValue.minus(position.costBasis) : null;
  return {
    unrealized,
    view: {
      symbol: position.symbol,
      baseCurrency: position.base,
      quoteCurrency: position.quote,
      quantity: out(position.quantity),
      costBasis: out(position.costBasis),
      averageEntryPrice: position.quantity.gt(0) ? out(position.costBasis.div(position.quantity)) : '0',
      markPrice: mark ? out(mark.price) : null,
      markSource: mark?.source ?? null,
      mark: mark?.view ?? null,
      marketValue: marketValue ? out(marketValue) : null,
      unrealizedPnl: unrealized ? out(unrealized) : null,
      realizedPnl: out(position.realizedPnl),
      untrackedQuantitySold: out(position.untrackedQuantitySold),
      excludedFees: Object.fromEntries(Object.entries(position.excludedFees).map(([currency, fee]) => [currency, out(fee)])),
      priceTick: precision.priceTick,
      amountStep: precision.amountStep,
    },
  };
}

interface AccountInput {
  row: AccountRow;
  fills: PositionFill[];
  /** Equity at midnight from a snapshot; undefined when there is none (or the deployment filter is on). */
  baseline: Decimal | undefined;
  currency: string;
  midnightMs: number;
  /** The precision of a market of this account's exchange (precision.ts). */
  precisionOf: (exchange: string, symbol: string) => MarketPrecision;
}

async function accountPortfolio(db: DbOrTx, input: AccountInput, deps: PortfolioDeps): Promise<AccountPortfolio> {
  const { row, currency, midnightMs } = input;
  let balances: Record<string, BalanceView> = {};
  let marks: MarkSource = NO_MARKS;
  let error: AccountFailure | null = null;
  const positions = [...replayPositions(input.fills, { sinceMs: midnightMs }).values()];

  const value = async () => {
    const unpriced = new Set<string>();
    const { equity, unpricedAssets } = await equityOf(balances, marks, currency);
    unpricedAssets.forEach((asset) => unpriced.add(asset));
    let realized = new Decimal(0);
    let unrealized = new Decimal(0);
    let realizedToday = new Decimal(0);
    // Only needed (and only worth the price lookups at 00:00) when no snapshot gives the day's start.
    let unrealizedChange: Decimal | null = input.baseline === undefined ? new Decimal(0) : null;
    const views: PositionView[] = [];
    for (const position of positions) {
      const valued = await valuePosition(position, marks, input.precisionOf(row.exchange, position.symbol));
      const quoteValue = await unitValue(marks, position.quote, currency);
      if (position.quantity.gt(0)) views.push(valued.view);
      if (quoteValue === null) {
        unpriced.add(position.quote);
        unrealizedChange = null;
        continue;
      }
      realized = realized.plus(position.realizedPnl.times(quoteValue));
      realizedToday = realizedToday.plus(position.realizedSince.times(quoteValue));
      if (position.quantity.gt(0) && valued.unrealized === null) unpriced.add(position.base);
      if (valued.unrealized !== null) unrealized = unrealized.plus(valued.unrealized.times(quoteValue));
      // pnlToday's fallback: the unrealized P&L now minus the unrealized P&L of the position as it was at 00:00.
      if (unrealizedChange !== null) {
        const now = position.quantity.gt(0) ? valued.unrealized : new Decimal(0);
        let atMidnight: Decimal | null = new Decimal(0);
        if (position.atSince.quantity.gt(0)) {
          const price = await marks.at(position.symbol, midnightMs);
          atMidnight = price ? price.times(position.atSince.quantity).minus(position.atSince.costBasis) : null;
        }
        unrealizedChange = now !== null && atMidnight !== null ? unrealizedChange.plus(now.minus(atMidnight).times(quoteValue)) : null;
      }
    }
    views.sort((a, b) => a.symbol.localeCompare(b.symbol));
    return { equity, realized, unrealized, realizedToday, unrealizedChange, views, unpriced: [...unpriced].sort() };
  };

  let valued: Awaited<ReturnType<typeof value>>;
  try {
    ({ balances, marks } = await accountHoldings(db, row, deps));
    valued = await value();
  } catch (caught) {
    if (!(caught instanceof AccountValuationError)) throw caught;
    error = caught.failure;
    balances = {};
    marks = NO_MARKS;
    valued = await value();
  }

  let pnlToday: Decimal | null = null;
  let pnlTodayBasis: PnlTodayBasis | null = null;
  if (!error && input.baseline !== undefined) {
    pnlToday = valued.equity.minus(input.baseline);
    pnlTodayBasis = 'snapshot';
  } else if (!error && valued.unrealizedChange !== null) {
    pnlToday = valued.realizedToday.plus(valued.unrealizedChange);
    pnlTodayBasis = 'fills';
  }

  return {
    accountId: row.id,
    name: row.name,
    exchange: row.exchange,
    kind: row.exchange === PAPER_EXCHANGE ? 'paper' : 'exchange',
    currency,
    balances,
    positions: valued.views,
    equity: error ? null : out(valued.equity),
    realizedPnl: out(valued.realized),
    unrealizedPnl: out(valued.unrealized),
    pnlToday: pnlToday === null ? null : out(pnlToday),
    pnlTodayBasis,
    unpricedAssets: error ? [] : valued.unpriced,
    error,
  };
}

/**
 * The user's portfolio, valued now in `options.currency` (USDT by default). Resting paper orders are
 * matched first (as listing orders does), so fills that the prices since imply are included.
 */
export async function getPortfolio(db: Db, userId: string, options: PortfolioOptions = {}, deps: PortfolioDeps = {}): Promise<Portfolio> {
  const currency = options.currency ?? DEFAULT_VALUATION_CURRENCY;
  const nowMs = (deps.clock ?? Date.now)();
  const midnightMs = startOfUtcDay(nowMs);
  const rows = await accountsInScope(db, userId, options.deploymentId);
  const paper = rows.filter((row) => row.exchange === PAPER_EXCHANGE);
  if (paper.length === 1) await syncPaperOrders(db, userId, deps, paper[0]!.id);
  else if (paper.length > 1) await syncPaperOrders(db, userId, deps);

  const ids = rows.map((row) => row.id);
  const [fillsByAccount, baselines, precisionOf] = await Promise.all([
    loadFills(db, userId, ids, options.deploymentId),
    // With a deployment filter the account-wide equity change is not the deployment's: fills rule only.
    options.deploymentId ? Promise.resolve(new Map<string, Decimal>()) : midnightEquity(db, userId, ids, currency, midnightMs),
    precisionLookup(rows.map((row) => row.exchange)),
  ]);
  const accounts = await Promise.all(
    rows.map((row) =>
      accountPortfolio(db, { row, fills: fillsByAccount.get(row.id)?.fills ?? [], baseline: baselines.get(row.id), currency, midnightMs, precisionOf }, deps),
    ),
  );

  const valued = accounts.filter((a) => a.error === null);
  const totalPnlToday = valued.some((a) => a.pnlToday === null) ? null : out(sumOf(valued.map((a) => a.pnlToday)));
  const bases = new Set(valued.map((a) => a.pnlTodayBasis));
  return {
    asOf: new Date(nowMs).toISOString(),
    dayStart: new Date(midnightMs).toISOString(),
    currency,
    deploymentId: options.deploymentId ?? null,
    totals: {
      currency,
      equity: out(sumOf(accounts.map((a) => a.equity))),
      realizedPnl: out(sumOf(accounts.map((a) => a.realizedPnl))),
      unrealizedPnl: out(sumOf(accounts.map((a) => a.unrealizedPnl))),
      pnlToday: totalPnlToday,
      pnlTodayBasis: totalPnlToday === null ? null : bases.size > 1 ? 'mixed' : ([...bases][0] ?? 'fills'),
      accounts: accounts.length,
      accountsWithErrors: accounts.filter((a) => a.error !== null).length,
    },
    accounts,
  };
}
