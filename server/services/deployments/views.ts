import { z } from 'zod';
import { zDecimalOutput } from '@/server/core/money/zod';
import { zTimeOutput } from '@/server/core/time-output';
import { DEPLOYMENT_STATES } from '@/db/schema/deployments';
import { ZScriptLogSchema } from '@/server/services/backtests/views';

/** A deployment as its user sees it: one declaration (re-exported by server/api/schemas/deployments.ts). */
export const ZDeploymentResponseSchema = z.object({
  id: z.string(),
  strategyId: z.string(),
  strategyName: z.string().nullable(),
  accountId: z.string(),
  accountName: z.string().nullable(),
  mode: z.enum(['paper', 'live']),
  feed: z.object({ type: z.string(), start: zTimeOutput().nullable(), speed: z.number().nullable() }),
  strategy: z.object({
    type: z.string(),
    exchange: z.string(),
    symbol: z.string(),
    timeframe: z.string(),
    params: z.record(z.string(), z.unknown()),
    /** A pair list's symbols, in priority order (absent: one symbol). */
    symbols: z.array(z.string()).optional(),
    capital: z
      .object({
        maxOpenPositions: z.number(),
        stake: z.union([
          z.object({ type: z.literal('fixed'), quote: z.number() }),
          z.object({ type: z.literal('pct_equity'), pct: z.number() }),
          z.object({ type: z.literal('equal_split') }),
        ]),
        priority: z.enum(['list', 'score']),
      })
      .optional(),
    /** A pair list the exchange chooses (top N by 24 h quote volume); `symbols` is then its list as last refreshed. */
    pairlist: z.object({ type: z.literal('top_volume'), n: z.number(), quote: z.string() }).optional(),
  }),
  state: z.enum(DEPLOYMENT_STATES),
  stateReason: z.string().nullable(),
  capitalQuote: zDecimalOutput(),
  maxPositionQuote: zDecimalOutput().nullable(),
  riskLimits: z.object({
    maxOrderNotional: zDecimalOutput().optional(),
    dailyLossLimitQuote: zDecimalOutput().optional(),
    maxDrawdownFraction: zDecimalOutput().optional(),
  }),
  /** Open time of the last candle the runner processed, ISO 8601 UTC. */
  lastBarTime: zTimeOutput().nullable(),
  lastDecision: z.object({ barTime: zTimeOutput(), decision: z.string(), at: zTimeOutput(), note: z.string().optional() }).nullable(),
  /** Where the feed is now (replay/simulated: the replayed time), ISO. */
  feedTime: zTimeOutput().nullable(),
  /** One symbol's position; a pair list's are in `positions` (this one is then always flat). */
  position: z.object({ quantity: zDecimalOutput(), entryPrice: zDecimalOutput().nullable(), entryTime: zTimeOutput().nullable() }),
  /** The position per pair, in list order (one entry for a single-symbol deployment). */
  positions: z.array(
    z.object({
      symbol: z.string(),
      quantity: zDecimalOutput(),
      entryPrice: zDecimalOutput().nullable(),
      entryTime: zTimeOutput().nullable(),
      /** The last close the runner saw for this pair (marks the position), null before its first bar. */
      lastClose: zDecimalOutput().nullable(),
      closedTrades: z.number(),
      realizedPnl: zDecimalOutput(),
    }),
  ),
  cash: zDecimalOutput(),
  equity: zDecimalOutput(),
  equityPeak: zDecimalOutput(),
  realizedPnl: zDecimalOutput(),
  closedTrades: z.number(),
  worker: z.string().nullable(),
  createdAt: zTimeOutput(),
  updatedAt: zTimeOutput(),
  endedAt: zTimeOutput().nullable(),
  /** The price tick ("0.01") and amount step ("0.00001") of its market on its account's exchange; null when unknown. */
  priceTick: zDecimalOutput().nullable(),
  amountStep: zDecimalOutput().nullable(),
  /** A script's latest printed lines (at most 200, oldest first), `dropped` the older ones; null until a script prints, and in lists (GET one deployment for it). */
  scriptLog: ZScriptLogSchema.nullable(),
});
export type DeploymentView = z.infer<typeof ZDeploymentResponseSchema>;

export const ZStopDeploymentResponseSchema = z.object({
  deployment: ZDeploymentResponseSchema,
  canceledOrders: z.number(),
  closeOrderId: z.string().nullable(),
  failures: z.array(z.string()),
});
export type StopResult = z.infer<typeof ZStopDeploymentResponseSchema>;

export const ZDeploymentEquityPointSchema = z.object({
  /** ISO time: feed time (a replay's points are in the replayed past). */
  time: zTimeOutput(),
  /** Quote currency, exact decimal string. */
  equity: zDecimalOutput(),
  /** start: the capital at the feed's start; bar: marked at a bar close; fill: after a fill at its price (no stored candle there). */
  source: z.enum(['start', 'bar', 'fill']),
});
export type DeploymentEquityPoint = z.infer<typeof ZDeploymentEquityPointSchema>;

export const ZDeploymentEquityResponseSchema = z.object({
  deploymentId: z.string(),
  /** The strategy's quote currency: every equity is in it. */
  currency: z.string(),
  /** Spacing of the bar-close points: the timeframe, or a bucket of several bars on a long span. */
  stepSeconds: z.number(),
  points: z.array(ZDeploymentEquityPointSchema),
});
export type DeploymentEquityCurve = z.infer<typeof ZDeploymentEquityResponseSchema>;
