/**
 * A deployment as users see it (DeploymentView): its position(s), cash and equity from the runner's state, its feed and
 * lease in ISO times, and the names and market precision of what it trades, read for a page of rows at once.
 */
import { precisionLookup, type MarketPrecision } from '@/server/services/market-data/precision';
import { inArray } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { exchangeAccounts, strategies } from '@/db/schema';
import { formatDecimal } from '@/server/core/money';
import { initialMachineState, isPortfolioState, type MachineState } from '@/server/core/trading';
import { feedTimeAt, type DeploymentRow } from './model';
import type { DeploymentView } from './views';

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

/** Rows as views, with their strategies' and accounts' names and their markets' precision (one read of each). */
export async function withNames(db: DbOrTx, rows: DeploymentRow[], now: number): Promise<DeploymentView[]> {
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
