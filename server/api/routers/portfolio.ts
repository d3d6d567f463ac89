import { ZEquityCurveRequestSchema, ZEquityCurveResponseSchema, ZPortfolioRequestSchema, ZPortfolioResponseSchema } from '@/server/api/schemas/portfolio';
import { createTRPCRouter, protectedProcedure } from '@/server/api/trpc';
import { equityCurve, getPortfolio } from '@/server/services/portfolio';

export const portfolioRouter = createTRPCRouter({
  /** Balances, positions, equity and P&L per account, with totals (docs/portfolio.md). */
  get: protectedProcedure
    .input(ZPortfolioRequestSchema.optional())
    .output(ZPortfolioResponseSchema)
    .query(({ ctx, input }) => getPortfolio(ctx.db, ctx.user.id, input ?? {})),
  /** Equity snapshots in buckets, one account or summed over all; missing buckets are not points. */
  equityCurve: protectedProcedure
    .input(ZEquityCurveRequestSchema.optional())
    .output(ZEquityCurveResponseSchema)
    .query(({ ctx, input }) => equityCurve(ctx.db, ctx.user.id, input ?? {})),
});
