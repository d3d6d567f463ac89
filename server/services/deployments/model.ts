/** What the deployments service and the worker's tick share: the row type, the dependencies, the feed clock. */
import { deployments } from '@/db/schema';
import type { MarketData } from '@/server/exchange/ports';
import type { OrderDeps } from '@/server/services/orders';

export type DeploymentRow = typeof deployments.$inferSelect;

export interface DeploymentDeps extends OrderDeps {
  now?: () => number;
  /** Where live-feed candles come from (default: the public ccxt client of the strategy's exchange). */
  marketData?: (exchangeId: string) => Pick<MarketData, 'fetchOHLCV'>;
}

/** Where the replay/simulated clock is at `now` (running deployments advance, others stand still). */
export function feedTimeAt(row: Pick<DeploymentRow, 'feed' | 'feedClock' | 'state'>, now: number): number | null {
  if (row.feed.type === 'live') return now;
  if (!row.feedClock) return null;
  if (row.state !== 'running') return row.feedClock.feedTimeMs;
  return row.feedClock.feedTimeMs + Math.max(0, now - row.feedClock.wallMs) * (row.feed.speed ?? 1);
}
