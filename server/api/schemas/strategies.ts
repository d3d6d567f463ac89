import { z } from 'zod';
import { jsonValue, safeText } from '@/server/core/text';
import { STRATEGY_STATUSES } from '@/db/schema/strategies';
import { AppError } from '@/server/core/errors';
import { MAX_OPEN_POSITIONS } from '@/server/core/backtest/portfolio';
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

/**
 * A pair list's symbols: only the shape here; the service checks each entry (format, duplicates, one quote
 * currency, a known market, at most MAX_PAIRS) and names the first bad one, e.g. `symbols[3]`.
 */
export const ZSymbolList = z.array(safeText({ error: 'must be a string' }).max(50), { error: 'must be a list of symbols' }).max(1000, { error: 'is too long' });

const ZPositiveAmount = z.number({ error: 'must be a number' }).positive({ error: 'must be greater than 0' }).max(1e12, { error: 'must be at most 1e12' });

/** How a pair list shares its capital (docs/backtesting.md, "Pair lists", P3 and P4); omitted parts take their defaults. */
export const ZCapitalRules = z
  .object({
    maxOpenPositions: z
      .number({ error: 'must be a number' })
      .int({ error: 'must be a whole number' })
      .min(1, { error: 'must be at least 1' })
      .max(MAX_OPEN_POSITIONS, { error: `must be at most ${MAX_OPEN_POSITIONS}` }),
    stake: z.discriminatedUnion(
      'type',
      [
        z.object({ type: z.literal('fixed'), quote: ZPositiveAmount }).strict(),
        z
          .object({
            type: z.literal('pct_equity'),
            pct: z.number({ error: 'must be a number' }).positive({ error: 'must be greater than 0' }).max(100, { error: 'must be at most 100' }),
          })
          .strict(),
        z.object({ type: z.literal('equal_split') }).strict(),
      ],
      { error: 'must be {type: "fixed", quote}, {type: "pct_equity", pct} or {type: "equal_split"}' },
    ),
    priority: z.enum(['list', 'score'], { error: 'must be "list" or "score"' }),
  })
  .partial()
  .strict();

/**
 * A pair list the exchange chooses when the strategy is saved: the `n` markets quoting `quote` with the highest 24 h
 * quote volume (docs/backtesting.md, "Pair lists"). The service checks the values and names the field (`pairlist.n`).
 */
export const ZPairListSpec = z
  .object({
    type: safeText({ error: 'must be "top_volume"' }).max(40),
    n: z.number({ error: 'must be a number' }),
    quote: safeText({ error: 'must be a currency code' }).max(20),
  })
  .strict();

function oneMarket(value: { symbol?: string; symbols?: string[]; pairlist?: unknown; capital?: unknown }, ctx: z.RefinementCtx): void {
  const given = [value.symbol, value.symbols, value.pairlist].filter((v) => v !== undefined).length;
  if (given > 1)
    ctx.addIssue({ code: 'custom', path: [value.pairlist !== undefined ? 'pairlist' : 'symbols'], message: 'give one of symbol, symbols or pairlist' });
  if (given === 0) ctx.addIssue({ code: 'custom', path: ['symbol'], message: 'is required (or symbols / pairlist, for a pair list)' });
  if (value.capital !== undefined && value.symbols === undefined && value.pairlist === undefined)
    ctx.addIssue({ code: 'custom', path: ['capital'], message: 'applies to a pair list (symbols) only' });
}

/** One market (`symbol`) or a pair list (`symbols`, with optional `capital` rules). */
export const ZCreateStrategyRequestSchema = z
  .object({
    name: ZStrategyName,
    type: ZStrategyType,
    params: ZStrategyParams.default({}),
    exchange: ZExchangeId,
    symbol: ZSymbol.optional(),
    symbols: ZSymbolList.optional(),
    pairlist: ZPairListSpec.optional(),
    capital: ZCapitalRules.optional(),
    timeframe: ZTimeframe,
  })
  .strict()
  .superRefine(oneMarket);

/**
 * Partial; params merge over the stored ones; status "archived" archives, "draft" restores an archived one.
 * `symbols` makes (or keeps) it a pair list, `pairlist` a list the exchange chooses (resolved now), `symbol` a
 * single-market strategy; `capital` merges over a pair list's rules.
 */
export const ZUpdateStrategyRequestSchema = z
  .object({
    name: ZStrategyName,
    params: ZStrategyParams,
    exchange: ZExchangeId,
    symbol: ZSymbol,
    symbols: ZSymbolList,
    pairlist: ZPairListSpec,
    capital: ZCapitalRules,
    timeframe: ZTimeframe,
    status: ZStrategyStatus,
  })
  .partial()
  .strict()
  .superRefine((value, ctx) => {
    if (value.symbol !== undefined && value.symbols !== undefined)
      ctx.addIssue({ code: 'custom', path: ['symbols'], message: 'give either symbol or symbols, not both' });
    if (value.pairlist !== undefined && (value.symbol !== undefined || value.symbols !== undefined))
      ctx.addIssue({ code: 'custom', path: ['pairlist'], message: 'give one of symbol, symbols or pairlist' });
  });

/** What a top-volume list would hold now (the strategy form's preview): the same spec as `pairlist`, on an exchange. */
export const ZTopVolumePreviewInputSchema = z.object({ exchange: ZExchangeId, pairlist: ZPairListSpec }).strict();
export const ZTopVolumePreviewResponseSchema = z.object({
  /** the list now, highest 24 h quote volume first; empty: no active market quotes that currency */
  symbols: z.array(z.string()),
});

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
