import { sql } from 'drizzle-orm';
import { index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { users } from './users';

/**
 * Single-use invitations to register (CRYPTOBOT_REGISTRATION=invite). Only a sha256 of the code is
 * stored; `usedAt` is set by the registration that consumed it, in that registration's transaction and
 * with a conditional update, so two registrations racing for one code cannot both succeed.
 */
export const invites = pgTable(
  'invites',
  {
    id: uuid('id')
      .primaryKey()
      .default(sql`gen_random_uuid()`),
    /** sha256 (hex) of the code; the code itself is shown once, to the admin who created it. */
    codeHash: text('code_hash').notNull().unique(),
    /** The first characters of the code, to tell invites apart in the list. */
    codePrefix: text('code_prefix').notNull(),
    note: text('note').notNull().default(''),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
    usedBy: uuid('used_by').references(() => users.id, { onDelete: 'set null' }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [index('invites_created_idx').on(t.createdAt)],
);

export type InviteRow = typeof invites.$inferSelect;
