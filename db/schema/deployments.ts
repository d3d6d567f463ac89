import { sql } from 'drizzle-orm';
import type { ScriptLogRow } from './backtests';
import { bigint, bigserial, boolean, index, jsonb, numeric, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { exchangeAccounts } from './accounts';
import { strategies, type CapitalRules, type PairListSpec } from './strategies';
import { users } from './users';

/**
 * Deployment states (docs/trading.md):
 * running → paused → running; running|paused → stopped (by the user, after its orders are canceled);
 * a replay that reaches the last stored candle → completed (keeps its position); an error the runner
 * cannot get past → failed. stopped, completed and failed are final.
 */
export const DEPLOYMENT_STATES = ['running', 'paused', 'stopped', 'completed', 'failed'] as const;
export type DeploymentState = (typeof DEPLOYMENT_STATES)[number];
export const DEPLOYMENT_MODES = ['paper', 'live'] as const;
export type DeploymentMode = (typeof DEPLOYMENT_MODES)[number];
export const FEED_TYPES = ['live', 'replay', 'simulated'] as const;
export type FeedType = (typeof FEED_TYPES)[number];

export interface DeploymentFeed {
  type: FeedType;
  /** Replay/simulated: open time (ms UTC) of the first candle played. */
  startMs?: number;
  /** Replay/simulated: multiplier of real time (3600 plays one 1h candle a second). */
  speed?: number;
}

/** The strategy as deployed: a copy, so the running deployment never changes under an edit. */
export interface DeploymentStrategyConfig {
  type: string;
  params: Record<string, unknown>;
  exchange: string;
  symbol: string;
  timeframe: string;
  /** A pair list (docs/trading.md, "Pair lists"): its symbols in priority order; `symbol` is then the first. */
  symbols?: string[];
  /** The pair list's capital rules, as the strategy had them. */
  capital?: CapitalRules;
  /**
   * A pair list the exchange chooses (top N by 24 h quote volume): `symbols` is its list as last resolved. A live-feed
   * deployment has it re-resolved on a schedule (server/worker/pair-list-refresh.ts); the tick then follows it.
   */
  pairlist?: PairListSpec;
  /** A script strategy (type script:<id>@<version>): the sha256 of the version deployed, checked when a worker loads it. */
  scriptHash?: string;
}

export interface DeploymentRiskLimits {
  maxOrderNotional?: string;
  dailyLossLimitQuote?: string;
  maxDrawdownFraction?: string;
}

/**
 * A deployed strategy: which account it trades, its feed, its lease (the worker running it) and the
 * runner's state. `leaseEpoch` is the fencing token: it rises on every claim and on every pause/stop, and
 * an order row is only written by a runner whose epoch is still the row's.
 */
export const deployments = pgTable(
  'deployments',
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
    accountId: uuid('account_id')
      .notNull()
      .references(() => exchangeAccounts.id, { onDelete: 'cascade' }),
    mode: text('mode', { enum: DEPLOYMENT_MODES }).notNull(),
    feed: jsonb('feed').$type<DeploymentFeed>().notNull(),
    strategy: jsonb('strategy').$type<DeploymentStrategyConfig>().notNull(),
    /** Quote the deployment trades with (its "initial capital"), in the symbol's quote currency. */
    capitalQuote: numeric('capital_quote').notNull(),
    maxPositionQuote: numeric('max_position_quote'),
    riskLimits: jsonb('risk_limits').$type<DeploymentRiskLimits>().notNull().default({}),
    state: text('state', { enum: DEPLOYMENT_STATES }).notNull().default('running'),
    stateReason: text('state_reason'),
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true }),
    leaseEpoch: bigint('lease_epoch', { mode: 'number' }).notNull().default(0),
    /** The runner's state between bars (server/core/trading RunnerState), written with each bar. */
    runner: jsonb('runner').$type<Record<string, unknown>>(),
    /** Open time (ms UTC) of the last closed candle the runner processed. */
    lastBarTime: bigint('last_bar_time', { mode: 'number' }),
    /** The strategy's last decision: {barTime, decision, at}. */
    lastDecision: jsonb('last_decision').$type<{ barTime: number; decision: string; at: string; note?: string }>(),
    /** Replay/simulated clock: feed time `feedTimeMs` was reached at wall time `wallMs` (running only). */
    feedClock: jsonb('feed_clock').$type<{ feedTimeMs: number; wallMs: number }>(),
    /**
     * A script's latest printed lines (at most DEPLOYMENT_LOG_LINES, oldest first) and how many older ones scrolled
     * out; written after each tick that printed (services/deployments/script-log.ts); null for a built-in or a silent script
     */
    scriptLog: jsonb('script_log').$type<ScriptLogRow>(),
    closeOnStop: boolean('close_on_stop').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
  },
  (t) => [
    // On state only: lease renewals (every few seconds, every running deployment) and the runner's state
    // writes then touch no indexed column, so Postgres can update the rows in place (HOT).
    index('deployments_claim_idx').on(t.state),
    index('deployments_user_idx').on(t.userId, t.createdAt),
    index('deployments_account_idx').on(t.accountId),
    uniqueIndex('deployments_one_active_per_strategy_idx')
      .on(t.strategyId)
      .where(sql`state in ('running', 'paused')`),
  ],
);

export const ALERT_SEVERITIES = ['info', 'warning', 'critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/**
 * What a trader must see: order rejections, risk refusals, circuit breakers, reconciliation findings,
 * kill switch use. `dedupeKey` (per user) keeps a finding that repeats every reconcile to one row.
 */
export const alerts = pgTable(
  'alerts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    kind: text('kind').notNull(),
    severity: text('severity', { enum: ALERT_SEVERITIES }).notNull(),
    message: text('message').notNull(),
    deploymentId: uuid('deployment_id'),
    accountId: uuid('account_id'),
    orderId: uuid('order_id'),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
    dedupeKey: text('dedupe_key'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    acknowledgedAt: timestamp('acknowledged_at', { withTimezone: true }),
  },
  (t) => [index('alerts_user_created_idx').on(t.userId, t.createdAt), uniqueIndex('alerts_user_dedupe_idx').on(t.userId, t.dedupeKey)],
);

/** Equity of an account over time (quote currency), for the dashboard's curve; written by the worker. */
export const equitySnapshots = pgTable(
  'equity_snapshots',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    accountId: uuid('account_id')
      .notNull()
      .references(() => exchangeAccounts.id, { onDelete: 'cascade' }),
    time: timestamp('time', { withTimezone: true }).notNull(),
    currency: text('currency').notNull(),
    equity: numeric('equity').notNull(),
  },
  (t) => [uniqueIndex('equity_snapshots_account_time_idx').on(t.accountId, t.time), index('equity_snapshots_user_time_idx').on(t.userId, t.time)],
);
