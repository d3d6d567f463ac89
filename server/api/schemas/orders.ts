import { z } from 'zod';
import { safeText } from '@/server/core/text';
import { zDecimalInput } from '@/server/core/money';
import { ZMarkSchema, ZOrderResponseSchema, ZOrderDetailResponseSchema } from '@/server/services/orders/views';

const ORDER_STATUSES = ['new', 'open', 'partially_filled', 'filled', 'canceled', 'rejected', 'expired', 'unknown'] as const;

export const ZSymbol = safeText({ error: 'must be a string' }).regex(/^[A-Z0-9]{1,20}\/[A-Z0-9]{1,20}$/, {
  error: 'must be BASE/QUOTE in capitals, e.g. "BTC/USDT"',
});

/** Shared by the REST handlers, the tRPC procedures and the order ticket. */
export const ZPlaceOrderRequestSchema = z
  .object({
    accountId: safeText({ error: 'must be a string' }).min(1, { error: 'is required' }).max(64),
    symbol: ZSymbol,
    side: z.enum(['buy', 'sell'], { error: 'must be "buy" or "sell"' }),
    type: z.enum(['market', 'limit', 'stop_limit'], { error: 'must be "market", "limit" or "stop_limit"' }),
    quantity: zDecimalInput({ field: 'quantity', positive: true }),
    price: zDecimalInput({ field: 'price', positive: true }).optional(),
    stopPrice: zDecimalInput({ field: 'stopPrice', positive: true }).optional(),
    clientOrderId: safeText()
      .regex(/^[a-zA-Z0-9]{1,32}$/, { error: 'must be 1–32 letters and digits' })
      .optional(),
  })
  .strict();

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

export type OrderResponse = z.infer<typeof ZOrderResponseSchema>;
export type { MarkView } from '@/server/services/orders/views';

export const ZQuoteResponseSchema = z.object({
  accountId: z.string(),
  symbol: z.string(),
  price: z.string().nullable(),
  source: z.string().nullable(),
  /** The market's mark (price, kind, source, observed at): the one price every screen shows for it. */
  mark: ZMarkSchema.nullable(),
  feeRate: z.string().nullable(),
  slippage: z.string().nullable(),
  /** The market's price tick and amount step for showing its numbers; null when unknown. */
  priceTick: z.string().nullable(),
  amountStep: z.string().nullable(),
});

export { ZOrderResponseSchema, ZOrderDetailResponseSchema };

// REST body around the order shape (tRPC answers the list as a bare array).
export const ZOrderListResponseSchema = z.object({ orders: z.array(ZOrderResponseSchema) });
