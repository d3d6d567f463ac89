import { reply, withUser } from '@/server/api/rest';
import { ZConnectionTestResponseSchema } from '@/server/api/schemas/accounts';
import { testAccountConnection } from '@/server/services/accounts';

// POST /api/v1/accounts/{id}/test – test the connection (a balance fetch); a failure is {ok: false, message}
export const POST = withUser<{ id: string }>(async ({ db, user, params }) =>
  reply(ZConnectionTestResponseSchema, await testAccountConnection(db, user.id, params.id)),
);
