import { json, withUser } from '@/server/api/rest';
import { testAccountConnection } from '@/server/services/accounts';

// POST /api/v1/accounts/{id}/test – test the connection (a balance fetch); a failure is {ok: false, message}
export const POST = withUser<{ id: string }>(async ({ db, user, params }) => json(await testAccountConnection(db, user.id, params.id)));
