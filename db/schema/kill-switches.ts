import { sql } from 'drizzle-orm';
import { pgTable, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { users } from './users';

/**
 * Engaged kill switch latches (docs/trading.md "Kill switch"). A row exists while a latch is engaged and is
 * deleted when it is released (the audit log keeps the history): `userId` is the user whose trading it halts,
 * null for the global latch an admin engages for everyone. At most one latch per scope.
 *
 * The order path reads this table FOR SHARE in the statement that writes an order row, and engaging locks the
 * table in EXCLUSIVE mode first: an order either commits before the engage does, or it waits for it and then
 * sees the latch (server/services/kill-switch).
 */
export const killSwitches = pgTable(
  'kill_switches',
  {
    id: uuid('id')
      .primaryKey()
      .default(sql`gen_random_uuid()`),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
    engagedAt: timestamp('engaged_at', { withTimezone: true }).notNull().defaultNow(),
    engagedBy: uuid('engaged_by').references(() => users.id, { onDelete: 'set null' }),
    /** Optional: engaging is one tap. */
    reason: text('reason'),
  },
  (t) => [unique('kill_switches_scope_key').on(t.userId).nullsNotDistinct()],
);
