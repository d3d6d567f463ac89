import { z } from 'zod';
import { zTimeOutput } from '@/server/core/time-output';
import { STRATEGY_STATUSES } from '@/db/schema/strategies';
import { STRATEGY_EVENTS } from './lifecycle';

/** What a strategy and a strategy type look like to callers: one declaration each (re-exported by server/api/schemas/strategies.ts). */

export const ZStrategyTypeParameterSchema = z.object({
  type: z.enum(['integer', 'float', 'boolean', 'enum']),
  default: z.union([z.number(), z.string(), z.boolean(), z.null()]),
  min: z.number().nullable(),
  max: z.number().nullable(),
  exclusiveMin: z.boolean(),
  exclusiveMax: z.boolean(),
  options: z.array(z.string()).nullable(),
  description: z.string(),
  /** what a form calls it ("Fast period"; the name when the strategy declares no label) */
  label: z.string(),
  /** what its value is counted in: "bars", "%", "quote" (the market's quote currency), …; null for none */
  unit: z.string().nullable(),
  /** true for the parameters every strategy accepts (position size, stops), applied by the engine */
  common: z.boolean(),
});

export const ZStrategyTypeResponseSchema = z.object({
  type: z.string(),
  name: z.string(),
  description: z.string(),
  parameters: z.record(z.string(), ZStrategyTypeParameterSchema),
});
export type StrategyTypeView = z.infer<typeof ZStrategyTypeResponseSchema>;

/** A pair list's capital rules as stored (every part set). */
export const ZCapitalRulesView = z.object({
  maxOpenPositions: z.number(),
  stake: z.discriminatedUnion('type', [
    z.object({ type: z.literal('fixed'), quote: z.number() }),
    z.object({ type: z.literal('pct_equity'), pct: z.number() }),
    z.object({ type: z.literal('equal_split') }),
  ]),
  priority: z.enum(['list', 'score']),
});

export const ZStrategyResponseSchema = z.object({
  id: z.string().uuid(),
  name: z.string(),
  type: z.string(),
  params: z.record(z.string(), z.unknown()),
  exchange: z.string(),
  /** the market; for a pair list, its first symbol */
  symbol: z.string(),
  /** a pair list's symbols in priority order; null for one market */
  symbols: z.array(z.string()).nullable(),
  /** a pair list's capital rules; null for one market */
  capital: ZCapitalRulesView.nullable(),
  /** a pair list the exchange chooses (top N by 24 h quote volume; `symbols` is its list as resolved); null otherwise */
  pairlist: z.object({ type: z.literal('top_volume'), n: z.number(), quote: z.string() }).nullable(),
  timeframe: z.string(),
  status: z.enum(STRATEGY_STATUSES),
  /** lifecycle events the user may fire now (e.g. "archive") */
  actions: z.array(z.enum(STRATEGY_EVENTS)),
  /** whether params and market may change now */
  editable: z.boolean(),
  createdAt: zTimeOutput(),
  updatedAt: zTimeOutput(),
});
export type StrategyView = z.infer<typeof ZStrategyResponseSchema>;
