import { z } from 'zod';
import { safeText } from '@/server/core/text';
import { ZAsset } from '@/server/api/schemas/accounts';
import { ZTimeInput } from '@/server/api/schemas/market-data';
import { ZEquityCurveResponseSchema, ZPortfolioResponseSchema } from '@/server/services/portfolio/views';

/** Shared by the portfolio router and the REST handlers under app/api/v1/portfolio. */

export const ZPortfolioRequestSchema = z
  .object({
    /** Valuation currency of equity and P&L, default USDT. */
    currency: ZAsset.optional(),
    deploymentId: safeText().min(1).max(64).optional(),
  })
  .strict();

export const ZEquityCurveRequestSchema = z
  .object({
    accountId: safeText().min(1).max(64).optional(),
    from: ZTimeInput.optional(),
    to: ZTimeInput.optional(),
    currency: ZAsset.optional(),
  })
  .strict()
  .refine((q) => q.from === undefined || q.to === undefined || q.to > q.from, { error: 'must be after from', path: ['to'] });

export { ZEquityCurveResponseSchema, ZPortfolioResponseSchema };
