import { json, withUser } from '@/server/api/rest';
import { cancelOrder, getOrder } from '@/server/services/orders';

// GET /api/v1/orders/{id} – one order with its fills and state history
export const GET = withUser<{ id: string }>(async ({ db, user, params }) => json(await getOrder(db, user.id, params.id)));

// DELETE /api/v1/orders/{id} – cancel a resting order
export const DELETE = withUser<{ id: string }>(async ({ db, user, params }) => json(await cancelOrder(db, user.id, params.id)));
