import { sql } from 'drizzle-orm';
import { index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { users } from './users';

/** How a pair list shares its capital (server/core/backtest/portfolio.ts, docs/backtesting.md P3, P4). */
export interface CapitalRules {
  maxOpenPositions: number;
  stake: { type: 'fixed'; quote: number } | { type: 'pct_equity'; pct: number } | { type: 'equal_split' };
  priority: 'list' | 'score';
}

/**
 * A pair list the exchange chooses: the `n` markets quoting `quote` with the highest 24 h quote volume. The strategy
 * keeps the spec; its `symbols` are the list as last resolved (docs/backtesting.md, "Pair lists").
 */
export interface PairListSpec {
  type: 'top_volume';
  n: number;
  quote: string;
}

/**
 * The strategy lifecycle (transitions in server/services/strategies/lifecycle.ts):
 * draft → backtested → paper → live → paused / stopped → archived.
 */
export const STRATEGY_STATUSES = ['draft', 'backtested', 'paper', 'live', 'paused', 'stopped', 'archived'] as const;
export type StrategyStatus = (typeof STRATEGY_STATUSES)[number];

/** A user's configured strategy: a registry type with validated params, on one market. */
export const strategies = pgTable(
  'strategies',
  {
    id: uuid('id')
      .primaryKey()
      .default(sql`gen_random_uuid()`),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** registry key (server/core/strategies/registry.ts) */
    type: text('type').notNull(),
    /** validated params, defaults filled in (own + common parameters) */
    params: jsonb('params').$type<Record<string, unknown>>().notNull(),
    /** ccxt exchange id, e.g. "binance" */
    exchange: text('exchange').notNull(),
    /** ccxt unified symbol, e.g. "BTC/USDT"; for a pair list, its first symbol */
    symbol: text('symbol').notNull(),
    /** a pair list (docs/backtesting.md, "Pair lists"): its symbols in priority order; null for a single-symbol strategy */
    symbols: text('symbols').array(),
    /** a pair list chosen by the exchange (PairListSpec): `symbols` is its list as resolved when saved; null for a fixed list */
    pairlist: jsonb('pairlist').$type<PairListSpec>(),
    /** the capital rules of a pair list (CapitalRules); null for a single-symbol strategy */
    capital: jsonb('capital').$type<CapitalRules>(),
    /** ccxt timeframe, e.g. "1h" */
    timeframe: text('timeframe').notNull(),
    status: text('status', { enum: STRATEGY_STATUSES }).notNull().default('draft'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('strategies_user_idx').on(t.userId, t.createdAt)],
);
