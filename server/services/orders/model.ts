/** The orders module's shared types: the order row, the request, the dependencies, and the views the API returns. */
import { orders } from '@/db/schema';
import type { DbOrTx } from '@/db/client';
import { formatDecimal } from '@/server/core/money';
import type { OrderStatus } from '@/server/core/orders';
import type { AccountDeps } from '@/server/services/accounts';
import { precisionLookup, type MarketPrecision } from '@/server/services/market-data/precision';
import type { PaperPriceSource } from './price-source';
import type { OrderView } from './views';

export type OrderRow = typeof orders.$inferSelect;

export interface PlaceOrderInput {
  accountId: string;
  symbol: string;
  side: 'buy' | 'sell';
  type: 'market' | 'limit' | 'stop_limit';
  quantity: string;
  price?: string;
  stopPrice?: string;
  clientOrderId?: string;
  deploymentId?: string;
  /**
   * With deploymentId: the deployment's lease epoch the caller holds. The order row is only written while
   * the deployment is running under that epoch (the fencing check): a runner that lost its lease, or a
   * deployment paused or stopped meanwhile, gets LeaseLostError and nothing is written.
   */
  fenceEpoch?: number;
}

/** The deployment's lease moved on (another worker, a pause, a stop): the caller must stop acting for it. */
export class LeaseLostError extends Error {
  constructor(readonly deploymentId: string) {
    super(`lease on deployment ${deploymentId} lost: not placing the order`);
    this.name = 'LeaseLostError';
  }
}

export interface OrderDeps extends AccountDeps {
  /** Price feed of paper accounts (default: stored candles, else the simulated market). */
  prices?: (db: DbOrTx) => PaperPriceSource;
  clock?: () => number;
  /**
   * A live order the exchange does not know is concluded "not found" only once it was written at least this long
   * ago (a just-sent order may not be visible yet). Default 30 s (server/services/orders/settle.ts).
   */
  notFoundGraceMs?: number;
}

/** Orders as their user sees them, each with its market's precision (one markets load per exchange, cached). */
export async function toOrderViews(rows: readonly OrderRow[]): Promise<OrderView[]> {
  const precisionOf = await precisionLookup(rows.map((row) => row.exchange));
  return rows.map((row) => toOrderView(row, precisionOf(row.exchange, row.symbol)));
}

export const OPEN_STATUSES: OrderStatus[] = ['new', 'open', 'partially_filled', 'unknown'];

const toIsoOrNull = (date: Date | null) => (date ? date.toISOString() : null);
const formatDecimalOrNull = (value: string | null) => (value === null ? null : formatDecimal(value));

/** The order as its user sees it, with its market's precision (precision.ts) for the screens. */
export function toOrderView(row: OrderRow, precision: MarketPrecision): OrderView {
  return {
    id: row.id,
    accountId: row.accountId,
    deploymentId: row.deploymentId,
    clientOrderId: row.clientOrderId,
    exchangeOrderId: row.exchangeOrderId,
    exchange: row.exchange,
    symbol: row.symbol,
    side: row.side,
    type: row.type,
    quantity: formatDecimal(row.quantity),
    price: formatDecimalOrNull(row.price),
    stopPrice: formatDecimalOrNull(row.stopPrice),
    status: row.status,
    statusReason: row.statusReason,
    filledQuantity: formatDecimal(row.filledQuantity),
    averagePrice: formatDecimalOrNull(row.averagePrice),
    fees: row.fees,
    priceSource: row.priceSource,
    cancelRequestedAt: toIsoOrNull(row.cancelRequestedAt),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    priceTick: precision.priceTick,
    amountStep: precision.amountStep,
  };
}
