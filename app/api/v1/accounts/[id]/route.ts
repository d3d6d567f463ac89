import { readJson, reply, withUser } from '@/server/api/rest';
import { ZAccountDeletedResponseSchema, ZAccountResponseSchema, ZUpdateAccountRequestSchema } from '@/server/api/schemas/accounts';
import { deleteAccount, getAccount, updateAccount } from '@/server/services/accounts';

// GET /api/v1/accounts/{id} – one account
export const GET = withUser<{ id: string }>(async ({ db, user, params }) => reply(ZAccountResponseSchema, await getAccount(db, user.id, params.id)));

// PATCH /api/v1/accounts/{id} – rename, change paper fees/slippage, or replace credentials
export const PATCH = withUser<{ id: string }>(async ({ db, req, user, params, ip }) => {
  const input = await readJson(req, ZUpdateAccountRequestSchema);
  return reply(ZAccountResponseSchema, await updateAccount(db, user.id, params.id, input, { ip }));
});

// DELETE /api/v1/accounts/{id} – delete the account with its balances and order history
export const DELETE = withUser<{ id: string }>(async ({ db, user, params, ip }) =>
  reply(ZAccountDeletedResponseSchema, await deleteAccount(db, user.id, params.id, { ip })),
);
