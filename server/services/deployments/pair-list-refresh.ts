/**
 * A pair list the exchange chooses (`pairlist: {type: "top_volume", n, quote}`), kept current for running live-feed
 * deployments (docs/backtesting.md, "Pair lists"). Two halves, so the list never changes under a tick:
 * - `refreshPairLists` (the worker's pair-list refresh loop, server/worker/pair-list-refresh.ts) re-resolves each
 *   spec from the exchange and writes the list into the deployment's `strategy.symbols` (not its state: the state
 *   belongs to the lease holder);
 * - `followStoredPairList` (each tick of such a deployment) reads that list (at most once a minute) and brings the
 *   machine's state to it (server/core/trading/portfolio-list.ts), so the change is booked with the tick's state,
 *   under its fence.
 * Replay and simulated feeds keep the list they started with: their candles are fixed, like a backtest's.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { deployments } from '@/db/schema';
import { followPairList, type PairListChange, type PortfolioMachineState } from '@/server/core/trading';
import { topVolumeSymbols, type TopVolumeMarketData } from '@/server/services/strategies/top-volume';
import type { DeploymentRuntime } from './runtime';

export interface PairListRefresh {
  deploymentId: string;
  symbols: string[];
}

/**
 * Re-resolves the list of every running live-feed deployment with a `pairlist` (one exchange call per distinct
 * exchange and spec) and stores the lists that changed; returns those. A list that cannot be read now, or comes back
 * empty, leaves the stored one as it is (the next pass tries again).
 */
export async function refreshPairLists(
  db: DbOrTx,
  deps: { marketData?: (exchangeId: string) => TopVolumeMarketData; onError?: (exchange: string, error: unknown) => void } = {},
): Promise<PairListRefresh[]> {
  const rows = await db
    .select({ id: deployments.id, strategy: deployments.strategy })
    .from(deployments)
    .where(and(eq(deployments.state, 'running'), sql`${deployments.feed}->>'type' = 'live'`, sql`${deployments.strategy} ? 'pairlist'`));
  const resolved = new Map<string, Promise<string[] | null>>();
  const changed: PairListRefresh[] = [];
  for (const row of rows) {
    const spec = row.strategy.pairlist!;
    const key = JSON.stringify([row.strategy.exchange, spec.type, spec.n, spec.quote]);
    if (!resolved.has(key))
      resolved.set(
        key,
        topVolumeSymbols(row.strategy.exchange, spec, deps.marketData).catch((error: unknown) => {
          deps.onError?.(row.strategy.exchange, error);
          return null;
        }),
      );
    const symbols = await resolved.get(key)!;
    if (!symbols || symbols.length === 0 || JSON.stringify(symbols) === JSON.stringify(row.strategy.symbols)) continue;
    const updated = await db
      .update(deployments)
      .set({
        strategy: sql`jsonb_set(jsonb_set(${deployments.strategy}, '{symbols}', ${JSON.stringify(symbols)}::jsonb), '{symbol}', to_jsonb(${symbols[0]!}::text))`,
      })
      .where(and(eq(deployments.id, row.id), eq(deployments.state, 'running')))
      .returning({ id: deployments.id });
    if (updated.length > 0) changed.push({ deploymentId: row.id, symbols });
  }
  return changed;
}

/**
 * How often a tick re-reads the stored list (the refresh loop writes it at most every PAIR_LIST_REFRESH_INTERVAL_MS,
 * an hour by default): a 1m deployment's ticks read the row once a minute, not once a tick. Between reads the tick
 * follows the list it last read (which still drops pairs that went flat).
 */
export const PAIR_LIST_READ_INTERVAL_MS = 60_000;

/**
 * In a tick of a deployment whose list the exchange chooses (live feed): the stored list (read again when the last
 * read is PAIR_LIST_READ_INTERVAL_MS old), followed by the machine's state `state` (the tick's copy). Returns the
 * change, or null when there is none or the deployment has no such list.
 */
export async function followStoredPairList(db: DbOrTx, rt: DeploymentRuntime, state: PortfolioMachineState, now: number): Promise<PairListChange | null> {
  if (!rt.row.strategy.pairlist || rt.row.feed.type !== 'live') return null;
  if (rt.pairListReadAtMs === undefined || now - rt.pairListReadAtMs >= PAIR_LIST_READ_INTERVAL_MS || now < rt.pairListReadAtMs) {
    const [stored] = await db.select({ strategy: deployments.strategy }).from(deployments).where(eq(deployments.id, rt.id));
    const symbols = stored?.strategy.symbols;
    if (symbols) rt.row = { ...rt.row, strategy: { ...rt.row.strategy, symbol: symbols[0]!, symbols } };
    rt.pairListReadAtMs = now;
  }
  const symbols = rt.row.strategy.symbols;
  if (!symbols) return null;
  const change = followPairList(state, symbols);
  return change.joined.length > 0 || change.left.length > 0 || change.dropped.length > 0 ? change : null;
}
