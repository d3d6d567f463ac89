import { z } from 'zod';
import { zDecimalOutput } from '@/server/core/money/zod';
import { zTimeOutput } from '@/server/core/time-output';
import { ZBalanceSchema } from '@/server/services/accounts/views';
import { ZMarkSchema } from '@/server/services/orders/views';

/** The portfolio and the equity curve as their user sees them: one declaration each (used by the portfolio router and REST). */

export const ZPositionSchema = z.object({
  symbol: z.string(),
  baseCurrency: z.string(),
  /** The currency of every money field of the position. */
  quoteCurrency: z.string(),
  quantity: zDecimalOutput(),
  /** Quote paid for `quantity`, buy fees in quote included. */
  costBasis: zDecimalOutput(),
  /** costBasis / quantity: what was paid per unit, fees included. */
  averageEntryPrice: zDecimalOutput(),
  markPrice: zDecimalOutput().nullable(),
  markSource: z.string().nullable(),
  /** The market's mark with its kind and age (the same value the order ticket and Markets show); null without one. */
  mark: ZMarkSchema.nullable(),
  /** quantity × markPrice. */
  marketValue: zDecimalOutput().nullable(),
  /** marketValue − costBasis (exit fees not deducted). */
  unrealizedPnl: zDecimalOutput().nullable(),
  /** Realized by the sells of this symbol so far. */
  realizedPnl: zDecimalOutput(),
  /** Base sold beyond the tracked position (held before Cryptobot traded it): no P&L realized on it. */
  untrackedQuantitySold: zDecimalOutput(),
  /** Fees in a third currency (e.g. BNB): in neither the cost basis nor the P&L. */
  excludedFees: z.record(z.string(), zDecimalOutput()),
  /** The market's price tick ("0.01") and amount step ("0.00001") for showing its numbers; null when unknown. */
  priceTick: zDecimalOutput().nullable(),
  amountStep: zDecimalOutput().nullable(),
});
export type PositionView = z.infer<typeof ZPositionSchema>;

export const ZAccountPortfolioSchema = z.object({
  accountId: z.string(),
  name: z.string(),
  exchange: z.string(),
  kind: z.enum(['paper', 'exchange']),
  /** The valuation currency of equity, realizedPnl, unrealizedPnl and pnlToday. */
  currency: z.string(),
  balances: z.record(z.string(), ZBalanceSchema),
  /** Open positions (quantity > 0), by symbol. */
  positions: z.array(ZPositionSchema),
  /** Σ balance × mark; null when the account could not be valued (see `error`). */
  equity: zDecimalOutput().nullable(),
  /** Over every symbol traded, closed positions included. */
  realizedPnl: zDecimalOutput(),
  /** Over the open positions that have a mark. */
  unrealizedPnl: zDecimalOutput(),
  pnlToday: zDecimalOutput().nullable(),
  /** Which rule gave pnlToday (docs/portfolio.md); null when it could not be computed. */
  pnlTodayBasis: z.enum(['snapshot', 'fills']).nullable(),
  /** Assets (or quote currencies) without a price in `currency`: left out of equity and the P&L sums. */
  unpricedAssets: z.array(z.string()),
  /** kind: "retryable" (unreachable), "fatal" (credentials refused), "credentials" (missing or undecryptable), ... */
  error: z.object({ kind: z.string(), message: z.string() }).nullable(),
});
export type AccountPortfolio = z.infer<typeof ZAccountPortfolioSchema>;
export type PnlTodayBasis = NonNullable<AccountPortfolio['pnlTodayBasis']>;

export const ZPortfolioTotalsSchema = z.object({
  currency: z.string(),
  /** Over the accounts that could be valued. */
  equity: zDecimalOutput(),
  realizedPnl: zDecimalOutput(),
  unrealizedPnl: zDecimalOutput(),
  /** Over the accounts that could be valued; null when one of them has no pnlToday (a partial sum would mislead). */
  pnlToday: zDecimalOutput().nullable(),
  /** The accounts' pnlTodayBasis when they agree, "mixed" when they do not; null with pnlToday null. */
  pnlTodayBasis: z.enum(['snapshot', 'fills', 'mixed']).nullable(),
  accounts: z.number().int(),
  accountsWithErrors: z.number().int(),
});
export type PortfolioTotals = z.infer<typeof ZPortfolioTotalsSchema>;

export const ZPortfolioResponseSchema = z.object({
  /** ISO time the portfolio was valued at. */
  asOf: zTimeOutput(),
  /** 00:00 UTC of `asOf`: the start of "today" for pnlToday. */
  dayStart: zTimeOutput(),
  currency: z.string(),
  deploymentId: z.string().nullable(),
  totals: ZPortfolioTotalsSchema,
  accounts: z.array(ZAccountPortfolioSchema),
});
export type Portfolio = z.infer<typeof ZPortfolioResponseSchema>;

export const ZEquityCurveResponseSchema = z.object({
  accountId: z.string().nullable(),
  currency: z.string(),
  from: zTimeOutput(),
  to: zTimeOutput(),
  /** Bucket size: each point is the bucket's start and the equity of its last snapshot. */
  stepSeconds: z.number().int(),
  points: z.array(z.object({ time: zTimeOutput(), equity: zDecimalOutput() })),
});
export type EquityCurve = z.infer<typeof ZEquityCurveResponseSchema>;
