import { reply, withUser } from '@/server/api/rest';
import { ZAlertResponseSchema } from '@/server/api/schemas/deployments';
import { acknowledgeAlert } from '@/server/services/alerts';

// POST /api/v1/alerts/{id}/acknowledge – marks an alert as seen
export const POST = withUser<{ id: string }>(async ({ db, user, params }) =>
  reply(ZAlertResponseSchema, await acknowledgeAlert(db, user.id, Number(params.id))),
);
