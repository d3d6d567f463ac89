import { readJson, reply, withUser } from '@/server/api/rest';
import { ZAccountListResponseSchema, ZAccountResponseSchema, ZCreateAccountRequestSchema } from '@/server/api/schemas/accounts';
import { createAccount, listAccounts } from '@/server/services/accounts';

// GET /api/v1/accounts – the user's paper and exchange accounts (credentials never included)
export const GET = withUser(async ({ db, user }) => reply(ZAccountListResponseSchema, { accounts: await listAccounts(db, user.id) }));

// POST /api/v1/accounts – add a paper account (starting balances) or an exchange account (credentials, stored encrypted)
export const POST = withUser(async ({ db, req, user, ip }) => {
  const input = await readJson(req, ZCreateAccountRequestSchema);
  return reply(ZAccountResponseSchema, await createAccount(db, user.id, input, { ip }), 201);
});
