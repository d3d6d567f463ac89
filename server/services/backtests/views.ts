import { z } from 'zod';
import { zDecimalOutput } from '@/server/core/money/zod';
import { zTimeOutput } from '@/server/core/time-output';
import { BACKTEST_STATUSES } from '@/db/schema/backtests';
import { ZCapitalRulesView } from '@/server/services/strategies/views';

/**
 * What a backtest or a sweep looks like to its callers: the one declaration of each shape. The services
 * return these types, tRPC checks them with `.output()`, REST with `reply()` (server/api/rest.ts), and
 * server/api/schemas/backtests.ts re-exports them for the pages.
 */

export const ZBacktestStatus = z.enum(BACKTEST_STATUSES);

export const ZBacktestMetricsSchema = z.object({
  totalReturnPct: z.number(),
  cagrPct: z.number(),
  sharpeRatio: z.number(),
  sortinoRatio: z.number(),
  maxDrawdownPct: z.number(),
  calmarRatio: z.number(),
  tradeCount: z.number(),
  winRatePct: z.number(),
  profitFactor: z.number().nullable(),
  averageTradePct: z.number(),
  exposurePct: z.number(),
  buyAndHoldReturnPct: z.number(),
});

/** A round trip; its prices, quantity, fee and P&L are the engine's floats as decimal strings (15 significant digits, no float noise). */
export const ZBacktestTradeSchema = z.object({
  entryTime: zTimeOutput(),
  exitTime: zTimeOutput(),
  entryPrice: zDecimalOutput(),
  exitPrice: zDecimalOutput(),
  quantity: zDecimalOutput(),
  fee: zDecimalOutput(),
  pnl: zDecimalOutput(),
  pnlPct: zDecimalOutput(),
  exitReason: z.enum(['signal', 'stop_loss', 'take_profit', 'trailing_stop', 'end']),
  /** the market it traded: the backtest's symbol, or its pair for a pair list */
  symbol: z.string(),
});

/** One pair of a pair list's breakdown (docs/backtesting.md, "Metrics of a pair list"). */
export const ZPairBreakdownSchema = z.object({
  symbol: z.string(),
  tradeCount: z.number(),
  winRatePct: z.number(),
  returnPct: z.number(),
  contributionPct: z.number(),
  /** Σ pnl of the pair's trades, quote */
  pnl: z.number(),
  profitFactor: z.number().nullable(),
  averageTradePct: z.number(),
});
export type PairBreakdownView = z.infer<typeof ZPairBreakdownSchema>;

/** What every run (a backtest, a sweep) shows of itself: its strategy, market, range, costs and status. */
const ZRunSummaryFields = z.object({
  id: z.string().uuid(),
  strategyId: z.string().uuid(),
  strategyType: z.string(),
  status: ZBacktestStatus,
  /** 0..1 */
  progress: z.number(),
  error: z.string().nullable(),
  exchange: z.string(),
  symbol: z.string(),
  timeframe: z.string(),
  start: zTimeOutput(),
  end: zTimeOutput(),
  initialCapital: zDecimalOutput(),
  feeRate: zDecimalOutput(),
  slippage: zDecimalOutput(),
  engineVersion: z.number(),
  /** sha256 of the script version's source the backtest ran (a strategy of type script:<id>@<version>); null for a built-in */
  scriptHash: z.string().nullable(),
  /** a pair list's symbols as run (fixed for the run), in priority order; null for one market */
  symbols: z.array(z.string()).nullable(),
  /** a pair list's capital rules as run; null for one market */
  capital: ZCapitalRulesView.nullable(),
  createdAt: zTimeOutput(),
  finishedAt: zTimeOutput().nullable(),
});

export const ZBacktestSummarySchema = ZRunSummaryFields.extend({
  params: z.record(z.string(), z.unknown()),
  /** a pair list's per-pair breakdown, in list order; null for one market or until completed */
  pairs: z.array(ZPairBreakdownSchema).nullable(),
  barCount: z.number().nullable(),
  metrics: ZBacktestMetricsSchema.nullable(),
  startedAt: zTimeOutput().nullable(),
});
export type BacktestSummaryView = z.infer<typeof ZBacktestSummarySchema>;

/** What a script printed during its run (log(...), console.log): at most 200 lines per call into the sandbox, each ≤ 500 characters. */
export const ZScriptLogSchema = z.object({
  lines: z.array(z.string()),
  /** lines printed over the cap, not kept */
  dropped: z.number().int(),
});
export type ScriptLogView = z.infer<typeof ZScriptLogSchema>;

export const ZBacktestResponseSchema = ZBacktestSummarySchema.extend({
  trades: z.array(ZBacktestTradeSchema),
  /** A script's output, kept on a failed run too (the lines before the failure); null for a built-in or a run that never reached its script. */
  scriptLog: ZScriptLogSchema.nullable(),
  /** Its market's price tick ("0.01") and amount step ("0.00001") for showing the trades; null when unknown. */
  priceTick: zDecimalOutput().nullable(),
  amountStep: zDecimalOutput().nullable(),
});
export type BacktestView = z.infer<typeof ZBacktestResponseSchema>;

export const ZBacktestEquitySchema = z.object({
  id: z.string().uuid(),
  time: z.array(z.number()),
  equity: z.array(z.number()),
  drawdownPct: z.array(z.number()),
  /** close price at each time; empty for a pair list (no single price) */
  close: z.array(z.number()),
  /** a pair list's per-pair running contribution (quote) at each time, one array per pair in list order; empty for one market */
  pairEquity: z.array(z.array(z.number())),
});
export type BacktestEquityView = z.infer<typeof ZBacktestEquitySchema>;

export const ZSweepSummarySchema = ZRunSummaryFields.extend({
  baseParams: z.record(z.string(), z.unknown()),
  ranges: z.record(z.string(), z.unknown()),
  /** names of the swept parameters, in grid order */
  sweptParams: z.array(z.string()),
  combinationCount: z.number(),
  skippedCount: z.number(),
});
export type SweepSummaryView = z.infer<typeof ZSweepSummarySchema>;

export const ZSweepResponseSchema = ZSweepSummarySchema.extend({
  /** one per combination, in grid order; empty until completed */
  results: z.array(z.object({ params: z.record(z.string(), z.unknown()), metrics: ZBacktestMetricsSchema.nullable(), error: z.string().nullable() })),
});
export type SweepView = z.infer<typeof ZSweepResponseSchema>;
