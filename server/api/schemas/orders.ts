import { z } from 'zod';
import { safeText } from '@/server/core/text';
import { zDecimalString } from '@/server/core/money';

const ORDER_STATUSES = ['new', 'open', 'partially_filled', 'filled', 'canceled', 'rejected', 'expired', 'unknown'] as const;

export const ZSymbol = safeText({ error: 'must be a string' }).regex(/^[A-Z0-9]{1,20}\/[A-Z0-9]{1,20}$/, { error: 'must be BASE/QUOTE in capitals, e.g. "BTC/USDT"' });

/** Shared by the REST handlers, the tRPC procedures and the order ticket. */
export const ZPlaceOrderRequestSchema = z
  .object({
    accountId: safeText({ error: 'must be a string' }).min(1, { error: 'is required' }).max(64),
    symbol: ZSymbol,
    side: z.enum(['buy', 'sell'], { error: 'must be "buy" or "sell"' }),
    type: z.enum(['market', 'limit', 'stop_limit'], { error: 'must be "market", "limit" or "stop_limit"' }),
    quantity: zDecimalString({ field: 'quantity', positive: true }),
    price: zDecimalString({ field: 'price', positive: true }).optional(),
    stopPrice: zDecimalString({ field: 'stopPrice', positive: true }).optional(),
    clientOrderId: safeText().regex(/^[a-zA-Z0-9]{1,32}$/, { error: 'must be 1–32 letters and digits' }).optional(),
  })
  .strict();
export type PlaceOrderRequest = z.infer<typeof ZPlaceOrderRequestSchema>;

export const ZListOrdersRequestSchema = z
  .object({
    accountId: safeText().max(64).optional(),
    status: z.enum(ORDER_STATUSES, { error: `must be one of ${ORDER_STATUSES.join(', ')}` }).optional(),
    deploymentId: safeText().max(64).optional(),
    limit: z.coerce.number().int().min(1).max(500).optional(),
  })
  .strict();

export const ZOrderIdSchema = z.object({ id: safeText().min(1).max(64) }).strict();
export const ZQuoteRequestSchema = z.object({ accountId: safeText().min(1).max(64), symbol: ZSymbol }).strict();

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
  quantity: z.string(),
  price: z.string().nullable(),
  stopPrice: z.string().nullable(),
  status: z.enum(ORDER_STATUSES),
  statusReason: z.string().nullable(),
  filledQuantity: z.string(),
  averagePrice: z.string().nullable(),
  fees: z.record(z.string(), z.string()),
  priceSource: z.string().nullable(),
  cancelRequestedAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type OrderResponse = z.infer<typeof ZOrderResponseSchema>;

export const ZOrderDetailResponseSchema = ZOrderResponseSchema.extend({
  fills: z.array(z.object({ tradeId: z.string(), quantity: z.string(), price: z.string(), fee: z.string(), feeCurrency: z.string().nullable(), liquidity: z.enum(['maker', 'taker']).nullable(), executedAt: z.string() })),
  events: z.array(z.object({ type: z.string(), fromStatus: z.string().nullable(), toStatus: z.string(), reason: z.string().nullable(), createdAt: z.string() })),
});
export type OrderDetailResponse = z.infer<typeof ZOrderDetailResponseSchema>;

export const ZQuoteResponseSchema = z.object({
  accountId: z.string(),
  symbol: z.string(),
  price: z.string().nullable(),
  source: z.string().nullable(),
  feeRate: z.string().nullable(),
  slippage: z.string().nullable(),
});
