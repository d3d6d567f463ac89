import { bigserial, index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { users } from './users';

/** One row per worker process; `lastHeartbeatAt` is renewed every few seconds while it runs. */
export const workerHeartbeats = pgTable('worker_heartbeats', {
  workerId: text('worker_id').primaryKey(),
  hostname: text('hostname').notNull(),
  pid: integer('pid').notNull(),
  startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
  lastHeartbeatAt: timestamp('last_heartbeat_at', { withTimezone: true }).notNull().defaultNow(),
  stoppedAt: timestamp('stopped_at', { withTimezone: true }),
});

/** Security-relevant events (sign-ins, failures, key changes, ...). Never holds a secret. */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'set null' }),
    type: text('type').notNull(),
    /** The username as presented, for failed sign-ins of unknown users. */
    username: text('username'),
    ip: text('ip'),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('audit_events_user_idx').on(t.userId, t.createdAt),
    index('audit_events_type_username_idx').on(t.type, t.username, t.createdAt),
    index('audit_events_type_ip_idx').on(t.type, t.ip, t.createdAt),
  ],
);

/**
 * The user events of the last hour, numbered: the id an SSE stream sends with each event, from which a client that
 * reconnects (a platform's time limit ended its stream, a network drop) resumes without missing one, on any web
 * instance. Written by the statement that NOTIFYs them (server/services/events.ts notifyStatement), pruned hourly
 * by the worker. `user_id` is text, not a reference: an event is logged as it is sent, whoever it names.
 */
export const eventLog = pgTable(
  'event_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    userId: text('user_id').notNull(),
    event: jsonb('event').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('event_log_user_idx').on(t.userId, t.id), index('event_log_created_idx').on(t.createdAt)],
);
