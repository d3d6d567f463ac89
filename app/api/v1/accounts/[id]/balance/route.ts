import { json, withUser } from '@/server/api/rest';
import { getAccountBalance } from '@/server/services/accounts';

// GET /api/v1/accounts/{id}/balance – {balances: {"USDT": {free, used, total}}} as decimal strings
export const GET = withUser<{ id: string }>(async ({ db, user, params }) => json(await getAccountBalance(db, user.id, params.id)));
