import { reply, withUser } from '@/server/api/rest';
import { ZSignificanceResponseSchema } from '@/server/api/schemas/robustness';
import { pathId } from '@/server/api/schemas/strategies';
import { createDeflatedSharpe } from '@/server/services/robustness/significance';

// POST /api/v1/sweeps/{id}/deflated-sharpe – queue the deflated Sharpe ratio of the sweep's best combination; 202
export const POST = withUser<{ id: string }>(async ({ db, user, params }) =>
  reply(ZSignificanceResponseSchema, await createDeflatedSharpe(db, user.id, pathId(params.id, 'sweep')), 202),
);
