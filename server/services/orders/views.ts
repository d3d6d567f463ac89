import { z } from 'zod';
import { zDecimalOutput } from '@/server/core/money/zod';
import { zTimeOutput } from '@/server/core/time-output';
import { ORDER_STATUSES } from '@/server/core/orders/state-machine';

/** An order as its user sees it: one declaration each (re-exported by server/api/schemas/orders.ts). */
export const ZOrderResponseSchema = z.object({
  id: z.string(),
  accountId: z.string(),
  deploymentId: z.string().nullable(),
  clientOrderId: z.string(),
  exchangeOrderId: z.string().nullable(),
  exchange: z.string(),
  symbol: z.string(),
  side: z.enum(['buy', 'sell']),
  type: z.enum(['market', 'limit', 'stop_limit']),
  quantity: zDecimalOutput(),
  price: zDecimalOutput().nullable(),
  stopPrice: zDecimalOutput().nullable(),
  status: z.enum(ORDER_STATUSES),
  statusReason: z.string().nullable(),
  filledQuantity: zDecimalOutput(),
  averagePrice: zDecimalOutput().nullable(),
  fees: z.record(z.string(), zDecimalOutput()),
  priceSource: z.string().nullable(),
  cancelRequestedAt: zTimeOutput().nullable(),
  createdAt: zTimeOutput(),
  updatedAt: zTimeOutput(),
  /** The market's price tick ("0.01") for showing its prices; null when unknown (services/market-data/precision.ts). */
  priceTick: zDecimalOutput().nullable(),
  /** The market's amount (lot) step ("0.00001") for showing its quantities; null when unknown. */
  amountStep: zDecimalOutput().nullable(),
});
export type OrderView = z.infer<typeof ZOrderResponseSchema>;

export const ZFillSchema = z.object({
  tradeId: z.string(),
  quantity: zDecimalOutput(),
  price: zDecimalOutput(),
  fee: zDecimalOutput(),
  feeCurrency: z.string().nullable(),
  liquidity: z.enum(['maker', 'taker']).nullable(),
  executedAt: zTimeOutput(),
});
export type FillView = z.infer<typeof ZFillSchema>;

export const ZOrderEventSchema = z.object({
  type: z.string(),
  fromStatus: z.string().nullable(),
  toStatus: z.string(),
  reason: z.string().nullable(),
  createdAt: zTimeOutput(),
});
export type OrderEventView = z.infer<typeof ZOrderEventSchema>;

export const ZOrderDetailResponseSchema = ZOrderResponseSchema.extend({ fills: z.array(ZFillSchema), events: z.array(ZOrderEventSchema) });
export type OrderDetail = z.infer<typeof ZOrderDetailResponseSchema>;

/** The mark price of a market (mark.ts): one declaration, shown by every screen that shows a price. */
export const MARK_KINDS = ['ticker', 'last candle', 'simulated', 'feed'] as const;
export type MarkKind = (typeof MARK_KINDS)[number];

export const ZMarkSchema = z.object({
  symbol: z.string(),
  /** Quote per base, a canonical decimal string. */
  price: zDecimalOutput(),
  /** What kind of price it is: an exchange ticker, the last stored candle's close, the simulated market. */
  kind: z.enum(MARK_KINDS),
  /** The feed in detail, e.g. "stored candles (binance 1h)", "binance ticker", "simulated market". */
  source: z.string(),
  /** ISO time the price was observed (a candle's close time, the ticker's time). */
  at: zTimeOutput(),
});
export type MarkView = z.infer<typeof ZMarkSchema>;
