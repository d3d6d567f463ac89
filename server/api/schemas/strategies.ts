import { z } from 'zod';
import { jsonValue, safeText } from '@/server/core/text';
import { STRATEGY_STATUSES } from '@/db/schema/strategies';
import { AppError } from '@/server/core/errors';
import { isTimeframe, TIMEFRAME_MESSAGE } from '@/server/core/timeframe';
import { ZStrategyTypeResponseSchema, ZStrategyResponseSchema } from '@/server/services/strategies/views';

/** Shared by the REST handlers, the tRPC procedures and the strategy form. */
export const ZStrategyName = safeText({ error: 'must be a string' })
  .trim()
  .min(1, { error: 'is required' })
  .max(100, { error: 'must be at most 100 characters' });
export const ZExchangeId = safeText({ error: 'must be a string' })
  .trim()
  .min(1, { error: 'is required' })
  .max(50)
  .regex(/^[a-z0-9_]+$/, { error: 'must be a ccxt exchange id such as binance (a-z, 0-9, _)' });
export const ZSymbol = safeText({ error: 'must be a string' })
  .trim()
  .max(50)
  .regex(/^[A-Z0-9.\-_]+\/[A-Z0-9.\-_]+(:[A-Z0-9.\-_]+)?$/, { error: 'must be a unified symbol such as BTC/USDT' });
export const ZTimeframe = safeText({ error: 'must be a string' }).trim().refine(isTimeframe, { error: TIMEFRAME_MESSAGE });
export const ZStrategyType = safeText({ error: 'must be a string' }).min(1, { error: 'is required' }).max(64);
/** Validated against the type's parameter schema by the service (422 naming params.<name>). */
export const ZStrategyParams = z.record(safeText(), jsonValue(), { error: 'must be an object of parameter values' });
export const ZStrategyStatus = z.enum(STRATEGY_STATUSES, { error: `must be one of ${STRATEGY_STATUSES.join(', ')}` });

export const ZCreateStrategyRequestSchema = z
  .object({ name: ZStrategyName, type: ZStrategyType, params: ZStrategyParams.default({}), exchange: ZExchangeId, symbol: ZSymbol, timeframe: ZTimeframe })
  .strict();

/** Partial; params merge over the stored ones; status "archived" archives, "draft" restores an archived one. */
export const ZUpdateStrategyRequestSchema = z
  .object({ name: ZStrategyName, params: ZStrategyParams, exchange: ZExchangeId, symbol: ZSymbol, timeframe: ZTimeframe, status: ZStrategyStatus })
  .partial()
  .strict();

export const ZCloneStrategyRequestSchema = z.object({ name: ZStrategyName.optional() }).strict();

export const ZListStrategiesQuerySchema = z
  .object({
    includeArchived: z
      .enum(['true', 'false'], { error: 'must be true or false' })
      .optional()
      .transform((v) => v === 'true'),
  })
  .strict();

/** A path id: anything that is not a UUID cannot exist, so it is a 404 rather than a 422. */
export const ZId = z.string().uuid();

/** One record by id, for the transports that take it in the input rather than the path (tRPC, MCP). */
export const ZByIdInputSchema = z.object({ id: ZId });

/** strategies.list (tRPC) and list_strategies (MCP); REST reads the same option from the query string. */
export const ZListStrategiesInputSchema = z.object({ includeArchived: z.boolean().default(false) });

export type StrategyTypeResponse = z.infer<typeof ZStrategyTypeResponseSchema>;

export type StrategyResponse = z.infer<typeof ZStrategyResponseSchema>;

export const ZStoredSeriesResponseSchema = z.object({
  exchange: z.string(),
  symbol: z.string(),
  timeframe: z.string(),
  firstTime: z.number(),
  lastTime: z.number(),
});

/** A path id, or NOT_FOUND: an id that is not a UUID cannot name anything (and must not reach Postgres). */
export function pathId(value: string | string[] | undefined, what: string): string {
  const id = Array.isArray(value) ? value[0] : value;
  if (!id || !ZId.safeParse(id).success) throw AppError.notFound(what);
  return id;
}

export { ZStrategyTypeResponseSchema, ZStrategyResponseSchema };

export const ZStrategyListResponseSchema = z.array(ZStrategyResponseSchema);
export const ZStrategyTypeListResponseSchema = z.array(ZStrategyTypeResponseSchema);
