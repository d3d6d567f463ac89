import { reply, withUser } from '@/server/api/rest';
import { ZOrderDetailResponseSchema, ZOrderResponseSchema } from '@/server/api/schemas/orders';
import { cancelOrder, getOrder } from '@/server/services/orders';

// GET /api/v1/orders/{id} – one order with its fills and state history
export const GET = withUser<{ id: string }>(async ({ db, user, params }) => reply(ZOrderDetailResponseSchema, await getOrder(db, user.id, params.id)));

// DELETE /api/v1/orders/{id} – cancel a resting order
export const DELETE = withUser<{ id: string }>(async ({ db, user, params }) => reply(ZOrderResponseSchema, await cancelOrder(db, user.id, params.id)));
