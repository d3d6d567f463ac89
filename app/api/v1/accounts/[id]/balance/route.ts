import { reply, withUser } from '@/server/api/rest';
import { ZAccountBalanceResponseSchema } from '@/server/api/schemas/accounts';
import { getAccountBalance } from '@/server/services/accounts';

// GET /api/v1/accounts/{id}/balance – {balances: {"USDT": {free, used, total}}} as decimal strings
export const GET = withUser<{ id: string }>(async ({ db, user, params }) =>
  reply(ZAccountBalanceResponseSchema, await getAccountBalance(db, user.id, params.id)),
);
