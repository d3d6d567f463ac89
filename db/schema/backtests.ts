import { sql } from 'drizzle-orm';
import { bigint, customType, doublePrecision, index, integer, jsonb, pgTable, primaryKey, real, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { jobs } from './jobs';
import { strategies, type CapitalRules } from './strategies';
import { users } from './users';

export const BACKTEST_STATUSES = ['queued', 'running', 'completed', 'failed', 'canceled'] as const;
export type BacktestStatus = (typeof BACKTEST_STATUSES)[number];

/** What a backtest or sweep ran with: money-like inputs are engine floats (see docs/backtesting.md). */
const runColumns = () => ({
  /** the job (backtest.run / backtest.sweep) that computes it */
  jobId: uuid('job_id').references(() => jobs.id, { onDelete: 'set null' }),
  /** snapshot of the strategy at request time: later edits never change a stored result */
  strategyType: text('strategy_type').notNull(),
  exchange: text('exchange').notNull(),
  symbol: text('symbol').notNull(),
  timeframe: text('timeframe').notNull(),
  /** ms since epoch, UTC; bars with start ≤ time < end */
  startTime: bigint('start_time', { mode: 'number' }).notNull(),
  endTime: bigint('end_time', { mode: 'number' }).notNull(),
  /** quote currency */
  initialCapital: doublePrecision('initial_capital').notNull(),
  /** fraction per fill */
  feeRate: doublePrecision('fee_rate').notNull(),
  /** fraction per market fill */
  slippage: doublePrecision('slippage').notNull(),
  status: text('status', { enum: BACKTEST_STATUSES }).notNull().default('queued'),
  /** 0..1 */
  progress: real('progress').notNull().default(0),
  error: text('error'),
  engineVersion: integer('engine_version').notNull(),
  /** sha256 of the script version's source when the strategy is a script (type "script:<id>@<version>"); null for a built-in */
  scriptHash: text('script_hash'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  startedAt: timestamp('started_at', { withTimezone: true }),
  finishedAt: timestamp('finished_at', { withTimezone: true }),
});

/**
 * One backtest of a strategy over a date range. Metrics come from the full equity series; the stored
 * chart series (`chart*` columns) are downsampled to at most ~2,000 points, keeping each bucket's extremes.
 */
export const backtests = pgTable(
  'backtests',
  {
    id: uuid('id')
      .primaryKey()
      .default(sql`gen_random_uuid()`),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    strategyId: uuid('strategy_id')
      .notNull()
      .references(() => strategies.id, { onDelete: 'cascade' }),
    /** validated params snapshot (defaults filled in) */
    params: jsonb('params').$type<Record<string, unknown>>().notNull(),
    ...runColumns(),
    /** BacktestMetrics (server/core/backtest/types.ts); null until completed */
    metrics: jsonb('metrics').$type<Record<string, number | null>>(),
    /** bars in the range that the engine ran over */
    barCount: integer('bar_count'),
    /** downsampled chart series, same length each: bar open time (ms), equity at close (quote), drawdown (%), close price */
    chartTime: doublePrecision('chart_time').array(),
    chartEquity: doublePrecision('chart_equity').array(),
    chartDrawdownPct: doublePrecision('chart_drawdown_pct').array(),
    chartClose: doublePrecision('chart_close').array(),
    /** a pair list's symbols as run (fixed for the backtest), in priority order; null for one symbol */
    symbols: text('symbols').array(),
    /** a pair list's capital rules as run; null for one symbol */
    capital: jsonb('capital').$type<CapitalRules>(),
    /** a pair list's per-pair breakdown (PairBreakdownRow, list order); null until completed or for one symbol */
    pairs: jsonb('pairs').$type<PairBreakdownRow[]>(),
    /** a pair list's per-pair running contribution (quote) at each chartTime, one array per pair in list order */
    chartPairEquity: jsonb('chart_pair_equity').$type<number[][]>(),
    /**
     * what a script printed (log(...), console.log) during its run, capped as in server/core/scripts/log.ts, kept on a
     * failed run too (the lines before the failure); null for a built-in strategy or a run that never reached the script
     */
    scriptLog: jsonb('script_log').$type<ScriptLogRow>(),
    /** the price chart's stored layout (server/core/charts/store.ts); its data is in backtest_chart_chunks; null until stored */
    chartStore: jsonb('chart_store').$type<{
      version: number;
      timeframeMs: number;
      plots: string[];
      levels: number[];
      segments: Array<[number, number]>;
    }>(),
  },
  (t) => [index('backtests_user_idx').on(t.userId, t.createdAt), index('backtests_strategy_idx').on(t.strategyId, t.createdAt)],
);

/** A script's printed lines as stored (at most 1000, each ≤ 500 characters + '…'), and how many more were dropped. */
export interface ScriptLogRow {
  lines: string[];
  dropped: number;
}

/** One row of a pair list's breakdown (docs/backtesting.md, "Metrics of a pair list"). */
export interface PairBreakdownRow {
  symbol: string;
  tradeCount: number;
  winRatePct: number;
  returnPct: number;
  contributionPct: number;
  /** Σ pnl, quote */
  pnl: number;
  profitFactor: number | null;
  averageTradePct: number;
}

/** The round trips of a backtest, written with one multi-row insert when it completes. */
export const backtestTrades = pgTable(
  'backtest_trades',
  {
    backtestId: uuid('backtest_id')
      .notNull()
      .references(() => backtests.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** 0-based order of the trade in the backtest */
    seq: integer('seq').notNull(),
    /** ms since epoch, UTC: open time of the bar the (first) buy filled on */
    entryTime: bigint('entry_time', { mode: 'number' }).notNull(),
    exitTime: bigint('exit_time', { mode: 'number' }).notNull(),
    /** quote per base */
    entryPrice: doublePrecision('entry_price').notNull(),
    exitPrice: doublePrecision('exit_price').notNull(),
    /** base units */
    quantity: doublePrecision('quantity').notNull(),
    /** quote */
    fee: doublePrecision('fee').notNull(),
    pnl: doublePrecision('pnl').notNull(),
    pnlPct: doublePrecision('pnl_pct').notNull(),
    exitReason: text('exit_reason').notNull(),
    /** the pair a trade of a pair list was on; null for a single-symbol backtest (the backtest's symbol) */
    symbol: text('symbol'),
  },
  (t) => [primaryKey({ columns: [t.backtestId, t.seq] })],
);

export interface SweepRunResult {
  params: Record<string, unknown>;
  /** BacktestMetrics, or null when the combination failed */
  metrics: Record<string, number | null> | null;
  error: string | null;
}

/** A parameter sweep: the grid of one strategy's params over one range, run as one job on worker threads. */
export const backtestSweeps = pgTable(
  'backtest_sweeps',
  {
    id: uuid('id')
      .primaryKey()
      .default(sql`gen_random_uuid()`),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    strategyId: uuid('strategy_id')
      .notNull()
      .references(() => strategies.id, { onDelete: 'cascade' }),
    /** the strategy's params the swept ones vary over */
    baseParams: jsonb('base_params').$type<Record<string, unknown>>().notNull(),
    /** { param: {min, max, step} | {values} } as requested */
    ranges: jsonb('ranges').$type<Record<string, unknown>>().notNull(),
    ...runColumns(),
    /** combinations run (after skipping those that break a cross-parameter rule) */
    combinationCount: integer('combination_count').notNull(),
    skippedCount: integer('skipped_count').notNull().default(0),
    /** a pair list's symbols as run (every cell a portfolio backtest over them), in priority order; null for one symbol */
    symbols: text('symbols').array(),
    /** a pair list's capital rules as run; null for one symbol */
    capital: jsonb('capital').$type<CapitalRules>(),
    /** one entry per combination, in grid order; null until completed */
    results: jsonb('results').$type<SweepRunResult[]>(),
  },
  (t) => [index('backtest_sweeps_user_idx').on(t.userId, t.createdAt)],
);

/**
 * A walk-forward optimization (docs/robustness.md, "Walk-forward optimization"). Each fold is its own job
 * (robustness.walk-forward-fold), so any number of workers run the folds; a fold's result lands in `foldResults[k]`
 * under this row's lock, and the job that finds every fold in stitches the out-of-sample runs into `result`.
 */
export const walkForwards = pgTable(
  'walk_forwards',
  {
    id: uuid('id')
      .primaryKey()
      .default(sql`gen_random_uuid()`),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    strategyId: uuid('strategy_id')
      .notNull()
      .references(() => strategies.id, { onDelete: 'cascade' }),
    /** the strategy's params the searched ones vary over */
    baseParams: jsonb('base_params').$type<Record<string, unknown>>().notNull(),
    /** the request's folds, anchored, space, search (with its seed), objective, drawdownWeight and minTrades */
    spec: jsonb('spec').$type<Record<string, unknown>>().notNull(),
    /** the planned windows, [{inSample: {start, end}, outOfSample: {start, end}}] in ms */
    windows: jsonb('windows').$type<Array<{ inSample: { start: number; end: number }; outOfSample: { start: number; end: number } }>>().notNull(),
    /** one job per fold, in fold order */
    foldJobIds: uuid('fold_job_ids').array().notNull(),
    /** one entry per fold (null until that fold is in) */
    foldResults: jsonb('fold_results').$type<Array<Record<string, unknown> | null>>().notNull(),
    /** the stitched out-of-sample figures; null until completed */
    result: jsonb('result').$type<Record<string, unknown>>(),
    ...runColumns(),
  },
  (t) => [index('walk_forwards_user_idx').on(t.userId, t.createdAt)],
);

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

/**
 * A backtest's price chart data, written once when it is stored (server/services/backtests/chart-store.ts): per
 * `level` (ms; the run's timeframe: plot values per bar by bar index; wider: aggregated candles and plots by time),
 * chunks of up to 4,096 rows as Float64 columns one after another.
 */
export const backtestChartChunks = pgTable(
  'backtest_chart_chunks',
  {
    backtestId: uuid('backtest_id')
      .notNull()
      .references(() => backtests.id, { onDelete: 'cascade' }),
    level: bigint('level', { mode: 'number' }).notNull(),
    chunk: integer('chunk').notNull(),
    data: bytea('data').notNull(),
  },
  (t) => [primaryKey({ columns: [t.backtestId, t.level, t.chunk] })],
);
