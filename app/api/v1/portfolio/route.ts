import { ZPortfolioRequestSchema, ZPortfolioResponseSchema } from '@/server/api/schemas/portfolio';
import { parseInput, reply, searchParams, withUser } from '@/server/api/rest';
import { getPortfolio } from '@/server/services/portfolio';

// GET /api/v1/portfolio?currency=&deploymentId= – per account: balances, positions, equity, realized/unrealized P&L, P&L today; totals
export const GET = withUser(async ({ db, req, user }) =>
  reply(ZPortfolioResponseSchema, await getPortfolio(db, user.id, parseInput(ZPortfolioRequestSchema, searchParams(req)))),
);
