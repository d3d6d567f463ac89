import { z } from 'zod';
import {
  ZListOrdersRequestSchema,
  ZOrderDetailResponseSchema,
  ZOrderIdSchema,
  ZOrderResponseSchema,
  ZPlaceOrderRequestSchema,
  ZQuoteRequestSchema,
  ZQuoteResponseSchema,
} from '@/server/api/schemas/orders';
import { createTRPCRouter, protectedProcedure } from '@/server/api/trpc';
import { cancelOrder, getOrder, listOrders, placeOrder, quoteOrder } from '@/server/services/orders';

export const ordersRouter = createTRPCRouter({
  list: protectedProcedure
    .input(ZListOrdersRequestSchema)
    .output(z.array(ZOrderResponseSchema))
    .query(({ ctx, input }) => listOrders(ctx.db, ctx.user.id, input)),
  get: protectedProcedure
    .input(ZOrderIdSchema)
    .output(ZOrderDetailResponseSchema)
    .query(({ ctx, input }) => getOrder(ctx.db, ctx.user.id, input.id)),
  quote: protectedProcedure
    .input(ZQuoteRequestSchema)
    .output(ZQuoteResponseSchema)
    .query(({ ctx, input }) => quoteOrder(ctx.db, ctx.user.id, input)),
  /** Idempotent by clientOrderId: a retry returns the stored order (`created: false`). */
  place: protectedProcedure
    .input(ZPlaceOrderRequestSchema)
    .output(z.object({ order: ZOrderResponseSchema, created: z.boolean() }))
    .mutation(({ ctx, input }) => placeOrder(ctx.db, ctx.user.id, input)),
  cancel: protectedProcedure
    .input(ZOrderIdSchema)
    .output(ZOrderResponseSchema)
    .mutation(({ ctx, input }) => cancelOrder(ctx.db, ctx.user.id, input.id)),
});
