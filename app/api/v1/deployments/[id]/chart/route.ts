import { parseInput, reply, searchParams, withUser } from '@/server/api/rest';
import { ZChartWindowQuerySchema, ZChartWindowSchema } from '@/server/api/schemas/backtests';
import { pathId } from '@/server/api/schemas/strategies';
import { getDeploymentChartWindow } from '@/server/services/deployments/chart-window';

// GET /api/v1/deployments/{id}/chart?from=&to=&maxBars= – the bars its strategy processed (aggregated beyond maxBars), the strategy's plots on them and its fills as markers
export const GET = withUser<{ id: string }>(async ({ db, user, params, req }) =>
  reply(
    ZChartWindowSchema,
    await getDeploymentChartWindow(db, user.id, pathId(params.id, 'deployment'), parseInput(ZChartWindowQuerySchema, searchParams(req))),
  ),
);
