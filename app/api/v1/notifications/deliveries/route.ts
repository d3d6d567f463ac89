import { parseInput, reply, searchParams, withUser } from '@/server/api/rest';
import { ZListNotificationDeliveriesRequestSchema, ZNotificationDeliveryListResponseSchema } from '@/server/api/schemas/notifications';
import { listDeliveries } from '@/server/services/notifications';

// GET /api/v1/notifications/deliveries?limit= – recent deliveries, newest first: pending, retrying (with the error), delivered, dead
export const GET = withUser(async ({ db, req, user }) => {
  const input = parseInput(ZListNotificationDeliveriesRequestSchema, searchParams(req));
  return reply(ZNotificationDeliveryListResponseSchema, { deliveries: await listDeliveries(db, user.id, { limit: input.limit }) });
});
