import { z } from 'zod';
import { safeText } from '@/server/core/text';
import { ZAsset, ZBalanceSchema } from '@/server/api/schemas/accounts';
import { ZTimeInput } from '@/server/api/schemas/market-data';
import { createTRPCRouter, protectedProcedure } from '@/server/api/trpc';
import { equityCurve, getPortfolio } from '@/server/services/portfolio';

// ---- schemas, shared by the REST handlers under app/api/v1/portfolio ------------------------------
// (They belong in server/api/schemas/portfolio.ts with the other areas' schemas; kept here while that
// file is outside this change.)

export const ZPortfolioRequestSchema = z
  .object({
    /** Valuation currency of equity and P&L, default USDT. */
    currency: ZAsset.optional(),
    deploymentId: safeText().min(1).max(64).optional(),
  })
  .strict();
export type PortfolioRequest = z.infer<typeof ZPortfolioRequestSchema>;

export const ZEquityCurveRequestSchema = z
  .object({
    accountId: safeText().min(1).max(64).optional(),
    from: ZTimeInput.optional(),
    to: ZTimeInput.optional(),
    currency: ZAsset.optional(),
  })
  .strict()
  .refine((q) => q.from === undefined || q.to === undefined || q.to > q.from, { error: 'must be after from', path: ['to'] });
export type EquityCurveRequest = z.input<typeof ZEquityCurveRequestSchema>;

export const ZPositionSchema = z.object({
  symbol: z.string(),
  baseCurrency: z.string(),
  quoteCurrency: z.string(),
  quantity: z.string(),
  costBasis: z.string(),
  averageEntryPrice: z.string(),
  markPrice: z.string().nullable(),
  markSource: z.string().nullable(),
  marketValue: z.string().nullable(),
  unrealizedPnl: z.string().nullable(),
  realizedPnl: z.string(),
  untrackedQuantitySold: z.string(),
  excludedFees: z.record(z.string(), z.string()),
});

export const ZAccountPortfolioSchema = z.object({
  accountId: z.string(),
  name: z.string(),
  exchange: z.string(),
  kind: z.enum(['paper', 'exchange']),
  currency: z.string(),
  balances: z.record(z.string(), ZBalanceSchema),
  positions: z.array(ZPositionSchema),
  equity: z.string().nullable(),
  realizedPnl: z.string(),
  unrealizedPnl: z.string(),
  pnlToday: z.string().nullable(),
  pnlTodayBasis: z.enum(['snapshot', 'fills']).nullable(),
  unpricedAssets: z.array(z.string()),
  error: z.object({ kind: z.string(), message: z.string() }).nullable(),
});

export const ZPortfolioResponseSchema = z.object({
  asOf: z.string(),
  dayStart: z.string(),
  currency: z.string(),
  deploymentId: z.string().nullable(),
  totals: z.object({
    currency: z.string(),
    equity: z.string(),
    realizedPnl: z.string(),
    unrealizedPnl: z.string(),
    pnlToday: z.string().nullable(),
    accounts: z.number().int(),
    accountsWithErrors: z.number().int(),
  }),
  accounts: z.array(ZAccountPortfolioSchema),
});
export type PortfolioResponse = z.infer<typeof ZPortfolioResponseSchema>;

export const ZEquityCurveResponseSchema = z.object({
  accountId: z.string().nullable(),
  currency: z.string(),
  from: z.string(),
  to: z.string(),
  stepSeconds: z.number().int(),
  points: z.array(z.object({ time: z.string(), equity: z.string() })),
});
export type EquityCurveResponse = z.infer<typeof ZEquityCurveResponseSchema>;

// ---- router -----------------------------------------------------------------------------------------

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
