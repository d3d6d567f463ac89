/** What the deployments service and the worker's tick share: the row type, the dependencies, the feed clock. */
import type { DbOrTx } from '@/db/client';
import { deployments } from '@/db/schema';
import type { MarketData } from '@/server/exchange/ports';
import type { readCandleSeries } from '@/server/services/market-data/candles';
import type { OrderDeps } from '@/server/services/orders';
import type { PaperBatchMember } from './paper-batch';

export type DeploymentRow = typeof deployments.$inferSelect;

export interface DeploymentDeps extends OrderDeps {
  now?: () => number;
  /** Where live-feed candles come from (default: the public ccxt client of the strategy's exchange). */
  marketData?: (exchangeId: string) => Pick<MarketData, 'fetchOHLCV'>;
  /**
   * Runs a paper tick's transaction body (default: a transaction of its own). The worker's batches pass one that
   * runs several deployments' bodies in one shared transaction (server/worker/tick-batch.ts).
   */
  paperTransaction?: <T>(body: (tx: DbOrTx) => Promise<T>) => Promise<T>;
  /** Reads a replay's stored candles (default: readCandleSeries); a batch shares one read among its members. */
  readCandles?: typeof readCandleSeries;
  /** In a batch (with paperTransaction): the tick's fence and last writes go out with every member's (paper-batch.ts). */
  paperBatch?: PaperBatchMember;
}

/** Where the replay/simulated clock is at `now` (running deployments advance, others stand still). */
export function feedTimeAt(row: Pick<DeploymentRow, 'feed' | 'feedClock' | 'state'>, now: number): number | null {
  if (row.feed.type === 'live') return now;
  if (!row.feedClock) return null;
  if (row.state !== 'running') return row.feedClock.feedTimeMs;
  return row.feedClock.feedTimeMs + Math.max(0, now - row.feedClock.wallMs) * (row.feed.speed ?? 1);
}
