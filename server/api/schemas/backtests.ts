import { z } from 'zod';
import { jsonValue, safeText } from '@/server/core/text';
import { MAX_SWEEP_COMBINATIONS } from '@/server/core/backtest/sweep';
import { endAfterStart, ZRunSpecSchema } from '@/server/services/backtests/run-spec';
import { ZId } from './strategies';
import { ZChartWindowSchema } from '@/server/services/market-data/chart-window';
import { ZChartWindowQueryFields } from './market-data';
import {
  ZBacktestStatus,
  ZBacktestMetricsSchema,
  ZBacktestTradeSchema,
  ZBacktestSummarySchema,
  ZBacktestResponseSchema,
  ZBacktestEquitySchema,
  ZSweepSummarySchema,
  ZSweepResponseSchema,
  ZPairBreakdownSchema,
  ZScriptLogSchema,
} from '@/server/services/backtests/views';

/** Both requests are a run spec (server/services/backtests/run-spec.ts) plus what the kind of run adds. */
export const ZCreateBacktestRequestSchema = ZRunSpecSchema.extend({
  params: z.record(safeText(), jsonValue(), { error: 'must be an object of parameter values' }).optional(),
})
  .strict()
  .superRefine(endAfterStart);

const ZParamRange = z.union(
  [
    z
      .object({
        min: z.number({ error: 'must be a number' }),
        max: z.number({ error: 'must be a number' }),
        step: z.number({ error: 'must be a number' }).positive({ error: 'must be greater than 0' }),
      })
      .strict(),
    z
      .object({
        values: z
          .array(z.union([z.number(), z.boolean(), safeText().max(100)]), { error: 'must be a list' })
          .min(1, { error: 'must not be empty' })
          .max(MAX_SWEEP_COMBINATIONS),
      })
      .strict(),
  ],
  { error: 'must be {min, max, step} or {values: [...]}' },
);

export const ZCreateSweepRequestSchema = ZRunSpecSchema.extend({
  ranges: z
    .record(safeText(), ZParamRange, { error: 'must be an object of parameter ranges' })
    .refine((r) => Object.keys(r).length >= 1, { error: 'name at least one parameter to sweep' })
    .refine((r) => Object.keys(r).length <= 6, { error: 'sweep at most 6 parameters at once' }),
})
  .strict()
  .superRefine(endAfterStart);

/** backtests.list and sweeps.list (tRPC), list_backtests and list_sweeps (MCP): optionally one strategy's runs. */
export const ZListRunsInputSchema = z.object({ strategyId: ZId.optional() });

export const ZListBacktestsQuerySchema = z.object({ strategyId: z.string().uuid({ error: 'must be a strategy id (UUID)' }).optional() }).strict();

export {
  ZBacktestStatus,
  ZBacktestMetricsSchema,
  ZBacktestTradeSchema,
  ZBacktestSummarySchema,
  ZBacktestResponseSchema,
  ZBacktestEquitySchema,
  ZSweepSummarySchema,
  ZSweepResponseSchema,
  ZPairBreakdownSchema,
  ZScriptLogSchema,
};
export type BacktestTradeResponse = z.infer<typeof ZBacktestTradeSchema>;
export type PairBreakdownResponse = z.infer<typeof ZPairBreakdownSchema>;
export type ScriptLogResponse = z.infer<typeof ZScriptLogSchema>;

export const ZBacktestListResponseSchema = z.array(ZBacktestSummarySchema);
export const ZSweepListResponseSchema = z.array(ZSweepSummarySchema);

const toAfterFrom = <T extends { from?: number; to?: number }>(q: T) => q.from === undefined || q.to === undefined || q.to > q.from;

/** A chart window's query (backtests, deployments, Markets): [from, to) as ms or ISO 8601, and the most candles to return. */
export const ZChartWindowQuerySchema = z
  .object(ZChartWindowQueryFields)
  .strict()
  .refine(toAfterFrom, { error: 'must be after from', path: ['to'] });
/** The same over tRPC, with the run's id. */
export const ZChartWindowByIdSchema = z
  .object({ id: z.string().uuid({ error: 'must be an id (UUID)' }), ...ZChartWindowQueryFields })
  .strict()
  .refine(toAfterFrom, { error: 'must be after from', path: ['to'] });

/**
 * A backtest's chart window over tRPC. `completedOnly`: refuse (CONFLICT) rather than answer for a run that has not
 * completed, whose window has no trades: the backtest page asks for its first window beside the backtest itself, before
 * it knows the run's status, and must not keep such an answer for the chart it draws once the run completed.
 */
export const ZBacktestChartWindowSchema = z
  .object({ id: z.string().uuid({ error: 'must be an id (UUID)' }), ...ZChartWindowQueryFields, completedOnly: z.boolean().optional() })
  .strict()
  .refine(toAfterFrom, { error: 'must be after from', path: ['to'] });

export { ZChartWindowSchema };
export type { ChartWindowView, ChartMarker as ChartMarkerView } from '@/server/services/market-data/chart-window';
/** What a chart asks for: [from, to) in ms UTC and the most candles it wants. */
export type ChartWindowRequest = { from?: number; to?: number; maxBars?: number };
