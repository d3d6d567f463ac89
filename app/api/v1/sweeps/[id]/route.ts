import { reply, withUser } from '@/server/api/rest';
import { ZSweepResponseSchema, ZSweepSummarySchema } from '@/server/api/schemas/backtests';
import { pathId } from '@/server/api/schemas/strategies';
import { cancelSweepForUser, getSweepForUser } from '@/server/services/backtests/sweeps';

// GET /api/v1/sweeps/{id} – status, progress, and once completed every combination's params and metrics
export const GET = withUser<{ id: string }>(async ({ db, user, params }) =>
  reply(ZSweepResponseSchema, await getSweepForUser(db, user.id, pathId(params.id, 'sweep'))),
);

// DELETE /api/v1/sweeps/{id} – cancel a queued or running sweep
export const DELETE = withUser<{ id: string }>(async ({ db, user, params }) =>
  reply(ZSweepSummarySchema, await cancelSweepForUser(db, user.id, pathId(params.id, 'sweep'))),
);
