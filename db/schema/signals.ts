import { sql } from 'drizzle-orm';
import { bigserial, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { deployments } from './deployments';
import { orders } from './orders';
import { users } from './users';

/**
 * The secret a signal deployment's webhook checks (docs/signals.md): only its sha256 is stored (the secret is 32
 * random bytes, so a fast hash is enough); the owner sees the secret once, when it is made or rotated.
 * `prefix` (its first characters) is what the page shows afterwards.
 */
export const signalSecrets = pgTable('signal_secrets', {
  deploymentId: uuid('deployment_id')
    .primaryKey()
    .references(() => deployments.id, { onDelete: 'cascade' }),
  userId: uuid('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  secretHash: text('secret_hash').notNull(),
  prefix: text('prefix').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** executed: an order was placed and filled; pending: a live order sent (or about to be) that has not settled, finished by a retry of the signal; refused: valid, but not traded (kill switch, risk rule, paused, nothing to sell); invalid: a bad body or time. */
export const SIGNAL_OUTCOMES = ['executed', 'pending', 'refused', 'invalid'] as const;
export type SignalOutcome = (typeof SIGNAL_OUTCOMES)[number];
export interface SignalDetails {
  orderStatus?: string | null;
  fields?: { field: string; message: string }[];
  [key: string]: unknown;
}

/**
 * Every signal a deployment's webhook received with the right secret, and what came of it. `signalId` is the
 * sender's `id`: unique per deployment, so a repeated signal is answered with the first one's stored outcome
 * (its `httpStatus`, and a body rebuilt from the row and `details`) and never trades twice. Invalid signals are kept with no `signalId` (they claimed
 * nothing: the corrected signal may reuse the id).
 */
export const signals = pgTable(
  'signals',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    deploymentId: uuid('deployment_id')
      .notNull()
      .references(() => deployments.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    signalId: text('signal_id'),
    action: text('action'),
    symbol: text('symbol'),
    /** base quantity asked for (decimal string), as sent */
    size: text('size'),
    /** the sender's price (decimal string), informational */
    price: text('price'),
    /** the sender's time, ms UTC */
    signalTime: timestamp('signal_time', { withTimezone: true }),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
    outcome: text('outcome', { enum: SIGNAL_OUTCOMES }).notNull(),
    reason: text('reason'),
    orderId: uuid('order_id').references(() => orders.id, { onDelete: 'set null' }),
    httpStatus: integer('http_status').notNull(),
    /** What the answer carries besides the row: the refusing rule or latch, the invalid fields, the order's status then. */
    details: jsonb('details').$type<SignalDetails>().notNull(),
  },
  (t) => [
    uniqueIndex('signals_deployment_signal_id_idx')
      .on(t.deploymentId, t.signalId)
      .where(sql`signal_id is not null`),
    index('signals_deployment_received_idx').on(t.deploymentId, t.receivedAt),
  ],
);
