import { parseInput, readJson, reply, searchParams, withUser } from '@/server/api/rest';
import { ZListOrdersRequestSchema, ZOrderListResponseSchema, ZOrderResponseSchema, ZPlaceOrderRequestSchema } from '@/server/api/schemas/orders';
import { listOrders, placeOrder } from '@/server/services/orders';

// GET /api/v1/orders?accountId=&status=&deploymentId= – the user's orders, newest first
export const GET = withUser(async ({ db, req, user }) =>
  reply(ZOrderListResponseSchema, { orders: await listOrders(db, user.id, parseInput(ZListOrdersRequestSchema, searchParams(req))) }),
);

// POST /api/v1/orders – place an order (201); the same clientOrderId again returns the stored order (200)
export const POST = withUser(async ({ db, req, user }) => {
  const input = await readJson(req, ZPlaceOrderRequestSchema);
  const { order, created } = await placeOrder(db, user.id, input);
  return reply(ZOrderResponseSchema, order, created ? 201 : 200);
});
