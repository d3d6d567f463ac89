import { and, desc, eq, ne, sql } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { strategies, type StrategyStatus } from '@/db/schema';
import { AppError } from '@/server/core/errors';
import type { StrategyDefinition } from '@/server/core/strategies/types';
import { COMMON_PARAMETERS, listStrategyDefinitions, parseParams, strategyParameters, StrategyParamsError, strategyRegistry } from '@/server/core/strategies';
import { isScriptType } from '@/server/core/scripts/script-type';
import { runnableScript } from '@/server/services/scripts/scripts';
import { availableStrategyActions, canEditStrategy, nextStrategyStatus, USER_STRATEGY_EVENTS, type StrategyEvent } from './lifecycle';
import type { StrategyTypeView, StrategyView } from './views';
import { resolveCapitalRules, validateSymbolList, type CapitalRulesInput } from './pair-list';
import { resolveTopVolumePairList } from './top-volume';

export type StrategyRow = typeof strategies.$inferSelect;

// Strategy types ------------------------------------------------------------------------------

/** The registry as the API and the form see it: own parameters first, then the common ones. */
export function listStrategyTypes(): StrategyTypeView[] {
  return listStrategyDefinitions().map(strategyTypeView);
}

/**
 * A built-in's definition, or a script version's the user may read (`script:<scriptId>@<version>`: its declared
 * schema; one the user may not read is a 422 naming `type`); undefined for an unknown built-in.
 */
async function findStrategyDefinition(db: DbOrTx, userId: string, type: string): Promise<StrategyDefinition | undefined> {
  return isScriptType(type) ? (await runnableScript(db, userId, type)).definition : strategyRegistry.get(type);
}

/**
 * One strategy type as the form sees it: a built-in's, or a script version's the user may read
 * (`script:<scriptId>@<version>`, its declared schema plus the common parameters); unknown → 422 naming `type`.
 */
export async function getStrategyType(db: DbOrTx, userId: string, type: string): Promise<StrategyTypeView> {
  const definition = await findStrategyDefinition(db, userId, type);
  if (!definition) throw AppError.validation([{ field: 'type', message: `unknown strategy type "${type}"` }]);
  return strategyTypeView(definition);
}

function strategyTypeView(definition: StrategyDefinition): StrategyTypeView {
  return {
    type: definition.type,
    name: definition.name,
    description: definition.description,
    parameters: Object.fromEntries(
      Object.entries(strategyParameters(definition)).map(([name, spec]) => [
        name,
        {
          type: spec.type,
          default: spec.default,
          min: 'min' in spec && spec.min !== undefined ? spec.min : null,
          max: 'max' in spec && spec.max !== undefined ? spec.max : null,
          exclusiveMin: 'exclusiveMin' in spec ? !!spec.exclusiveMin : false,
          exclusiveMax: 'exclusiveMax' in spec ? !!spec.exclusiveMax : false,
          options: spec.type === 'enum' ? [...spec.options] : null,
          description: spec.description,
          label: spec.label ?? name,
          unit: spec.unit ?? null,
          common: name in COMMON_PARAMETERS,
        },
      ]),
    ),
  };
}

/**
 * Validated params (defaults filled in) of a strategy type — a built-in's, or a script version's the user may read
 * (type script:<scriptId>@<version>, its declared schema); a bad one is a 422 naming `params.<name>`.
 */
export async function validateStrategyParams(db: DbOrTx, userId: string, type: string, params: unknown): Promise<Record<string, unknown>> {
  const definition = await findStrategyDefinition(db, userId, type);
  if (!definition) {
    throw AppError.validation([
      { field: 'type', message: `unknown strategy type "${type}" (known: ${[...strategyRegistry.keys()].join(', ')}, or script:<scriptId>@<version>)` },
    ]);
  }
  try {
    return parseParams(definition, params ?? {}) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof StrategyParamsError) {
      throw AppError.validation(error.issues.map((issue) => ({ field: issue.param ? `params.${issue.param}` : 'params', message: issue.message })));
    }
    throw error;
  }
}

// Strategies ----------------------------------------------------------------------------------

export function toStrategyView(row: StrategyRow): StrategyView {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    params: row.params,
    exchange: row.exchange,
    symbol: row.symbol,
    symbols: row.symbols ?? null,
    capital: row.capital ?? null,
    pairlist: row.pairlist ?? null,
    timeframe: row.timeframe,
    status: row.status,
    actions: availableStrategyActions(row.status),
    editable: canEditStrategy(row.status),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export interface CreateStrategyInput {
  name: string;
  type: string;
  params?: Record<string, unknown>;
  exchange: string;
  /** one market; or */
  symbol?: string;
  /** a pair list (docs/backtesting.md, "Pair lists"), with its capital rules */
  symbols?: readonly string[];
  /** or a pair list the exchange chooses (top N by 24 h quote volume): the spec is stored, its list now as `symbols` */
  pairlist?: { type: string; n: number; quote: string };
  capital?: CapitalRulesInput;
  timeframe: string;
}

/** The market columns of a strategy: one symbol, or a checked pair list (its first symbol in `symbol`) and its rules. */
async function marketColumns(
  db: DbOrTx,
  type: string,
  params: Record<string, unknown>,
  input: { exchange: string; symbol?: string; symbols?: readonly string[]; capital?: CapitalRulesInput },
): Promise<Pick<StrategyRow, 'symbol' | 'symbols' | 'capital'>> {
  if (input.symbols === undefined) {
    if (input.symbol === undefined) throw AppError.validation([{ field: 'symbol', message: 'is required (or symbols, for a pair list)' }]);
    return { symbol: input.symbol, symbols: null, capital: null };
  }
  if (isScriptType(type)) throw AppError.validation([{ field: 'symbols', message: 'a strategy written as a script trades one symbol so far' }]);
  const symbols = await validateSymbolList(db, input.exchange, input.symbols);
  return { symbol: symbols[0]!, symbols, capital: resolveCapitalRules(type, params, symbols.length, input.capital) };
}

export async function createStrategyForUser(db: DbOrTx, userId: string, input: CreateStrategyInput): Promise<StrategyView> {
  const params = await validateStrategyParams(db, userId, input.type, input.params);
  if (input.pairlist !== undefined && (input.symbol !== undefined || input.symbols !== undefined))
    throw AppError.validation([{ field: 'pairlist', message: 'give one of symbol, symbols or pairlist' }]);
  const chosen = input.pairlist === undefined ? null : await resolveTopVolumePairList(input.exchange, input.pairlist);
  const market = await marketColumns(db, input.type, params, chosen === null ? input : { ...input, symbols: chosen.symbols });
  const [row] = await db
    .insert(strategies)
    .values({
      userId,
      name: input.name,
      type: input.type,
      params,
      exchange: input.exchange,
      ...market,
      pairlist: chosen?.spec ?? null,
      timeframe: input.timeframe,
    })
    .returning();
  return toStrategyView(row!);
}

/** The user's strategy row, or NOT_FOUND (also for another user's: existence never leaks). */
export async function getStrategyRow(db: DbOrTx, userId: string, id: string): Promise<StrategyRow> {
  const [row] = await db
    .select()
    .from(strategies)
    .where(and(eq(strategies.id, id), eq(strategies.userId, userId)));
  if (!row) throw AppError.notFound('strategy');
  return row;
}

export async function getStrategyForUser(db: DbOrTx, userId: string, id: string): Promise<StrategyView> {
  return toStrategyView(await getStrategyRow(db, userId, id));
}

export async function listStrategiesForUser(db: DbOrTx, userId: string, options: { includeArchived?: boolean } = {}): Promise<StrategyView[]> {
  const rows = await db
    .select()
    .from(strategies)
    .where(and(eq(strategies.userId, userId), options.includeArchived ? undefined : ne(strategies.status, 'archived')))
    .orderBy(desc(strategies.createdAt));
  return rows.map(toStrategyView);
}

export interface UpdateStrategyInput {
  name?: string;
  params?: Record<string, unknown>;
  exchange?: string;
  symbol?: string;
  symbols?: readonly string[];
  capital?: CapitalRulesInput;
  timeframe?: string;
  /** a lifecycle target the user may ask for: "archived" (archive) or "draft" (restore an archived one) */
  status?: StrategyStatus;
  /** a pair list the exchange chooses: re-resolved now and stored with its list (as on create) */
  pairlist?: { type: string; n: number; quote: string };
}

/**
 * Edits a strategy. Changing params or market is an `edit` event (a backtested strategy goes back to draft;
 * refused while trading or archived); `status` fires the user event leading there, if the table has one.
 */
export async function updateStrategyForUser(db: DbOrTx, userId: string, id: string, input: UpdateStrategyInput): Promise<StrategyView> {
  const row = await getStrategyRow(db, userId, id);
  let status: StrategyStatus = row.status;
  const changes: Partial<typeof strategies.$inferInsert> = {};

  if (input.status !== undefined && input.status !== row.status) {
    const event = USER_STRATEGY_EVENTS.find((e) => nextStrategyStatus(row.status, e) === input.status);
    if (!event) {
      const later = input.status === 'paper' || input.status === 'live' || input.status === 'paused' || input.status === 'stopped';
      throw new AppError(
        'CONFLICT',
        later ? `status "${input.status}" is set by paper and live trading, not here` : `a strategy cannot go from "${row.status}" to "${input.status}"`,
        { fields: [{ field: 'status', message: `cannot change from ${row.status} to ${input.status}` }] },
      );
    }
    status = input.status;
  }

  // PATCH semantics: given params are merged over the stored ones (send null to clear an optional one).
  const newParams = input.params !== undefined ? await validateStrategyParams(db, userId, row.type, { ...row.params, ...input.params }) : undefined;
  if (input.pairlist !== undefined && (input.symbol !== undefined || input.symbols !== undefined))
    throw AppError.validation([{ field: 'pairlist', message: 'give one of symbol, symbols or pairlist' }]);
  // A list the exchange chooses: resolved now, as on create (its list becomes `symbols`).
  const chosen = input.pairlist === undefined ? null : await resolveTopVolumePairList(input.exchange ?? row.exchange, input.pairlist);
  // The market after the patch: `symbols` makes a pair list, `symbol` one market; capital merges over the stored rules.
  const listAfter = chosen?.symbols ?? input.symbols ?? (input.symbol === undefined ? (row.symbols ?? undefined) : undefined);
  if (input.capital !== undefined && listAfter === undefined)
    throw AppError.validation([{ field: 'capital', message: 'applies to a pair list (symbols) only' }]);
  const marketTouched =
    chosen !== null ||
    input.symbols !== undefined ||
    input.capital !== undefined ||
    input.symbol !== undefined ||
    input.exchange !== undefined ||
    newParams !== undefined;
  const market = marketTouched
    ? await marketColumns(db, row.type, newParams ?? row.params, {
        exchange: input.exchange ?? row.exchange,
        symbol: input.symbol ?? row.symbol,
        symbols: listAfter,
        capital: listAfter === undefined ? undefined : { ...(input.symbols === undefined ? (row.capital ?? {}) : {}), ...input.capital },
      })
    : null;
  const marketOrParamsChange =
    (newParams !== undefined && JSON.stringify(newParams) !== JSON.stringify(row.params)) ||
    (input.exchange !== undefined && input.exchange !== row.exchange) ||
    (market !== null &&
      (market.symbol !== row.symbol ||
        JSON.stringify(market.symbols) !== JSON.stringify(row.symbols) ||
        JSON.stringify(market.capital) !== JSON.stringify(row.capital))) ||
    (input.timeframe !== undefined && input.timeframe !== row.timeframe) ||
    (chosen !== null && JSON.stringify(chosen.spec) !== JSON.stringify(row.pairlist));
  if (marketOrParamsChange || (input.name !== undefined && input.name !== row.name)) {
    if (status === 'archived') throw new AppError('CONFLICT', 'an archived strategy cannot be edited; restore it first');
  }
  if (marketOrParamsChange) {
    const edited = nextStrategyStatus(status, 'edit');
    if (!edited) throw new AppError('CONFLICT', `a ${status} strategy's parameters and market cannot change; stop it first`);
    status = edited;
    if (newParams !== undefined) changes.params = newParams;
    if (input.exchange !== undefined) changes.exchange = input.exchange;
    if (market !== null) Object.assign(changes, market);
    // A list or a symbol given by hand replaces the exchange's choice.
    if (input.symbols !== undefined || input.symbol !== undefined) changes.pairlist = null;
    if (chosen !== null) changes.pairlist = chosen.spec;
    if (input.timeframe !== undefined) changes.timeframe = input.timeframe;
  }
  if (input.name !== undefined) changes.name = input.name;
  if (Object.keys(changes).length === 0 && status === row.status) return toStrategyView(row);

  const [updated] = await db
    .update(strategies)
    .set({ ...changes, status, updatedAt: sql`now()` })
    .where(and(eq(strategies.id, id), eq(strategies.userId, userId), eq(strategies.status, row.status)))
    .returning();
  if (!updated) throw new AppError('CONFLICT', 'the strategy changed meanwhile; reload and try again');
  return toStrategyView(updated);
}

/** DELETE archives (soft): backtests keep pointing at it, and it can be restored. */
export async function archiveStrategyForUser(db: DbOrTx, userId: string, id: string): Promise<StrategyView> {
  const row = await getStrategyRow(db, userId, id);
  if (row.status === 'archived') return toStrategyView(row);
  return updateStrategyForUser(db, userId, id, { status: 'archived' });
}

/** A copy as a new draft, named "<name> (copy)" unless a name is given. */
export async function cloneStrategyForUser(db: DbOrTx, userId: string, id: string, name?: string): Promise<StrategyView> {
  const row = await getStrategyRow(db, userId, id);
  return createStrategyForUser(db, userId, {
    name: name ?? `${row.name} (copy)`.slice(0, 100),
    type: row.type,
    params: row.params,
    exchange: row.exchange,
    ...(row.symbols ? { symbols: row.symbols, capital: row.capital ?? undefined } : { symbol: row.symbol }),
    timeframe: row.timeframe,
  });
}

/** Applies a lifecycle event when the table allows it (e.g. backtest_completed); returns whether it changed. */
export async function applyStrategyEvent(db: DbOrTx, userId: string, id: string, event: StrategyEvent): Promise<boolean> {
  const row = await getStrategyRow(db, userId, id);
  const next = nextStrategyStatus(row.status, event);
  if (!next || next === row.status) return false;
  const updated = await db
    .update(strategies)
    .set({ status: next, updatedAt: sql`now()` })
    .where(and(eq(strategies.id, id), eq(strategies.userId, userId), eq(strategies.status, row.status)))
    .returning({ id: strategies.id });
  return updated.length > 0;
}
