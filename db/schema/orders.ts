import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, index, jsonb, numeric, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { exchangeAccounts } from './accounts';
import { users } from './users';

export const ORDER_STATUS_VALUES = ['new', 'open', 'partially_filled', 'filled', 'canceled', 'rejected', 'expired', 'unknown'] as const;
export const ORDER_TYPE_VALUES = ['market', 'limit', 'stop_limit'] as const;
export const ORDER_SIDE_VALUES = ['buy', 'sell'] as const;

/** What a paper order set aside when it was placed; fills and cancels release exactly this. */
export interface PaperReservation {
  currency: 'base' | 'quote';
  asset: string;
  amount: string;
}

/**
 * Orders, written with status `new` and their clientOrderId BEFORE the exchange is called; every later
 * status comes from server/core/orders applyOrderEvent. Quantities and prices are `numeric` (exact).
 */
export const orders = pgTable(
  'orders',
  {
    id: uuid('id')
      .primaryKey()
      .default(sql`gen_random_uuid()`),
    accountId: uuid('account_id')
      .notNull()
      .references(() => exchangeAccounts.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The deployment that placed it; null for manual orders. (No FK: deployments land separately.) */
    deploymentId: uuid('deployment_id'),
    clientOrderId: text('client_order_id').notNull(),
    exchangeOrderId: text('exchange_order_id'),
    /** "paper" or the ccxt id, copied from the account: half of each fill's idempotency key. */
    exchange: text('exchange').notNull(),
    symbol: text('symbol').notNull(),
    side: text('side', { enum: ORDER_SIDE_VALUES }).notNull(),
    type: text('type', { enum: ORDER_TYPE_VALUES }).notNull(),
    quantity: numeric('quantity').notNull(),
    price: numeric('price'),
    stopPrice: numeric('stop_price'),
    status: text('status', { enum: ORDER_STATUS_VALUES }).notNull().default('new'),
    statusReason: text('status_reason'),
    filledQuantity: numeric('filled_quantity').notNull().default('0'),
    /** Sum of price × quantity over fills, in quote. */
    filledCost: numeric('filled_cost').notNull().default('0'),
    averagePrice: numeric('average_price'),
    /** Fee totals by currency, e.g. {"USDT": "0.064"}. */
    fees: jsonb('fees').$type<Record<string, string>>().notNull().default({}),
    /** Paper only. */
    reservation: jsonb('reservation').$type<PaperReservation>(),
    /** Paper stop_limit whose stop was touched. */
    triggered: boolean('triggered').notNull().default(false),
    /** Paper only: which price feed matched it ("simulated market", "stored candles binance 1m"). */
    priceSource: text('price_source'),
    /** Paper only: candles with open time before this (ms UTC) were already matched against the order. */
    matchedUntilMs: bigint('matched_until_ms', { mode: 'number' }),
    cancelRequestedAt: timestamp('cancel_requested_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('orders_account_client_order_id_idx').on(t.accountId, t.clientOrderId),
    index('orders_user_created_idx').on(t.userId, t.createdAt),
    index('orders_account_status_idx').on(t.accountId, t.status),
    index('orders_deployment_idx').on(t.deploymentId),
  ],
);

/** Every status change of an order (and its creation), in order: the state history. */
export const orderEvents = pgTable(
  'order_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id, { onDelete: 'cascade' }),
    /** "created" or an OrderEventType of server/core/orders. */
    type: text('type').notNull(),
    fromStatus: text('from_status'),
    toStatus: text('to_status').notNull(),
    reason: text('reason'),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('order_events_order_idx').on(t.orderId, t.id)],
);

/**
 * Trades against orders, applied once: unique on (order, trade id). Trade ids are only unique per
 * symbol on some exchanges (Binance), so never key on (exchange, trade id) alone.
 */
export const fills = pgTable(
  'fills',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id, { onDelete: 'cascade' }),
    accountId: uuid('account_id')
      .notNull()
      .references(() => exchangeAccounts.id, { onDelete: 'cascade' }),
    tradeId: text('trade_id').notNull(),
    quantity: numeric('quantity').notNull(),
    price: numeric('price').notNull(),
    fee: numeric('fee').notNull().default('0'),
    feeCurrency: text('fee_currency'),
    liquidity: text('liquidity', { enum: ['maker', 'taker'] }),
    executedAt: timestamp('executed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('fills_order_trade_idx').on(t.orderId, t.tradeId), index('fills_account_idx').on(t.accountId, t.executedAt)],
);
