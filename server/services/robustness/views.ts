import { z } from 'zod';
import { BACKTEST_STATUSES } from '@/db/schema';
import { WALK_FORWARD_OBJECTIVES } from '@/server/core/robustness/walk-forward';
import { ZBacktestMetricsSchema } from '@/server/services/backtests/views';
import { ZCapitalRulesView } from '@/server/services/strategies/views';

/** A walk-forward as its user sees it: one declaration, the type inferred (re-exported by server/api/schemas/robustness.ts). */

const ZWindow = z.object({ start: z.string(), end: z.string() });
/** A chosen combination's deflated Sharpe ratio (docs/robustness.md, "Significance"): per-bar figures. */
const ZChosenSharpe = z.object({
  deflatedSharpeRatio: z.number(),
  expectedMaxSharpe: z.number(),
  trials: z.number().int(),
  perBarSharpe: z.number(),
  sharpeVariance: z.number(),
  observations: z.number().int(),
  skewness: z.number(),
  kurtosis: z.number(),
});

const ZNeighbourhood = z.object({
  cells: z.number().int(),
  feasible: z.number().int(),
  meanObjective: z.number().nullable(),
  minObjective: z.number().nullable(),
  maxObjective: z.number().nullable(),
});

/** What a robustness run is about, as the walk-forward and bias-check views show it: the strategy, its market, the range. */
export const ZStrategyRangeFields = {
  strategyId: z.string(),
  strategyType: z.string(),
  exchange: z.string(),
  symbol: z.string(),
  timeframe: z.string(),
  start: z.string(),
  end: z.string(),
};

export const ZWalkForwardResponseSchema = z.object({
  id: z.string(),
  status: z.enum(BACKTEST_STATUSES),
  progress: z.number(),
  error: z.string().nullable(),
  ...ZStrategyRangeFields,
  initialCapital: z.string(),
  feeRate: z.string(),
  slippage: z.string(),
  /** a pair list's symbols as run (fixed for the run; each window a portfolio backtest of them), in priority order; null for one market */
  symbols: z.array(z.string()).nullable(),
  /** a pair list's capital rules as run; null for one market */
  capital: ZCapitalRulesView.nullable(),
  anchored: z.boolean(),
  foldSpec: z.union([z.number(), z.object({ inSampleDays: z.number(), outOfSampleDays: z.number(), stepDays: z.number().optional() })]),
  space: z.record(z.string(), z.unknown()),
  search: z.object({ method: z.enum(['grid', 'random', 'tpe']), trials: z.number().int(), seed: z.number().int() }),
  objective: z.enum(WALK_FORWARD_OBJECTIVES),
  drawdownWeight: z.number(),
  minTrades: z.number().int(),
  engineVersion: z.number().int(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  folds: z.array(
    z.object({
      fold: z.number().int(),
      status: z.enum(['pending', 'completed']),
      inSample: ZWindow,
      outOfSample: ZWindow,
      /** the rest once the fold is in; params null when no trial was feasible (the fold holds cash out of sample) */
      params: z.record(z.string(), z.unknown()).nullable().optional(),
      chosen: z.record(z.string(), z.unknown()).nullable().optional(),
      objective: z.number().nullable().optional(),
      trials: z.number().int().optional(),
      evaluated: z.number().int().optional(),
      feasible: z.number().int().optional(),
      inSampleBars: z.number().int().optional(),
      outOfSampleBars: z.number().int().optional(),
      inSampleMetrics: ZBacktestMetricsSchema.nullable().optional(),
      outOfSampleMetrics: ZBacktestMetricsSchema.nullable().optional(),
      neighbourhood: ZNeighbourhood.nullable().optional(),
      /** the chosen cell's in-sample Sharpe deflated for the fold's evaluated cells (null: nothing feasible, or stored before) */
      deflatedSharpe: ZChosenSharpe.nullable().optional(),
    }),
  ),
  outOfSampleMetrics: ZBacktestMetricsSchema.nullable(),
  efficiency: z.number().nullable(),
  /** the stitched out-of-sample equity: time (ms, UTC), equity (quote) */
  equity: z.array(z.object({ time: z.number(), equity: z.number() })),
  stability: z.record(z.string(), z.array(z.unknown())).nullable(),
  totalTrials: z.number().int().nullable(),
});
export type WalkForwardView = z.infer<typeof ZWalkForwardResponseSchema>;
export type WalkForwardFoldView = WalkForwardView['folds'][number];
