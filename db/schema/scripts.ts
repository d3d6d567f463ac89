import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { users } from './users';

/**
 * A user's own strategy written in the app (#19): a name and its versions. Private to its owner; another user sees
 * a script only through a published version, read-only, and may clone it (`clonedFrom`).
 */
export const scripts = pgTable(
  'scripts',
  {
    id: uuid('id')
      .primaryKey()
      .default(sql`gen_random_uuid()`),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** the script and version this one was cloned from, "script:<id>@<version>"; null for an original */
    clonedFrom: text('cloned_from'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('scripts_user_idx').on(t.userId, t.createdAt)],
);

/** The declarations of a version, as checked on save (server/core/scripts/description.ts). */
export interface ScriptVersionMeta {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
  plots: Array<Record<string, unknown>>;
}

/**
 * One saved version of a script: immutable once written (only `publishedAt` is ever set, once). A strategy names
 * a version as `script:<scriptId>@<version>`, a backtest records its `hash`, so an edit (a new version) never
 * changes what a strategy, a backtest or a deployment ran.
 */
export const scriptVersions = pgTable(
  'script_versions',
  {
    scriptId: uuid('script_id')
      .notNull()
      .references(() => scripts.id, { onDelete: 'cascade' }),
    /** 1, 2, … per script */
    version: integer('version').notNull(),
    /** the owner (copied from the script, so every query can scope by it) */
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** TypeScript as written */
    source: text('source').notNull(),
    /** JavaScript the sandbox runs (esbuild's output of `source`) */
    compiled: text('compiled').notNull(),
    /** sha256 of `source`, hex */
    hash: text('hash').notNull(),
    meta: jsonb('meta').$type<ScriptVersionMeta>().notNull(),
    /** set once when the owner publishes the version read-only to every user */
    publishedAt: timestamp('published_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.scriptId, t.version] }), index('script_versions_published_idx').on(t.publishedAt)],
);
