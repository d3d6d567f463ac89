import { integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Attempt counters of the authentication throttles (server/services/auth/throttle.ts), one row per key
 * (e.g. `sign_in:user:alice`, `sign_in:ip:203.0.113.9`). A fixed window: `count` attempts reserved since
 * `windowStart`; the first attempt after the window restarts it in place. Counted and checked in one
 * `INSERT … ON CONFLICT … DO UPDATE … RETURNING`, so concurrent attempts never overshoot the limit.
 */
export const authThrottles = pgTable('auth_throttles', {
  key: text('key').primaryKey(),
  windowStart: timestamp('window_start', { withTimezone: true }).notNull(),
  count: integer('count').notNull(),
});
