import { sql } from 'drizzle-orm';
import { index, pgTable, text, timestamp, uuid, type AnyPgColumn } from 'drizzle-orm/pg-core';
import { users } from './users';

export const API_KEY_SCOPES = ['read', 'trade', 'admin'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** How a key came to be: created by its owner, issued by a manual rotation, or by the worker before expiry. */
export const API_KEY_ORIGINS = ['created', 'rotated', 'auto_rotated'] as const;
export type ApiKeyOrigin = (typeof API_KEY_ORIGINS)[number];

/**
 * Platform API keys: `cb_<keyId>_<secret><crc32>`. Only a sha256 of the secret is stored, looked up by
 * `keyId`. A key stops at the earliest of `expiresAt`, `graceEndsAt` (set when it is rotated) and
 * `revokedAt`. A successor issued by the worker holds its secret encrypted (AES-256-GCM under
 * CRYPTOBOT_MASTER_KEY) in `pendingSecret` until it is fetched once; then the column is erased.
 */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: uuid('id')
      .primaryKey()
      .default(sql`gen_random_uuid()`),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The public part of the key (16 base62 characters); shown as the prefix `cb_<keyId>`. */
    keyId: text('key_id').notNull().unique(),
    name: text('name').notNull(),
    /** Expanded: admin ⊃ trade ⊃ read. */
    scopes: text('scopes', { enum: API_KEY_SCOPES }).array().notNull(),
    /** sha256 (hex) of the secret part; the secret itself is never stored. */
    secretHash: text('secret_hash').notNull(),
    origin: text('origin', { enum: API_KEY_ORIGINS }).notNull().default('created'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    /** When this key's successor was handed to its holder; the key then works until `graceEndsAt`. */
    rotatedAt: timestamp('rotated_at', { withTimezone: true }),
    graceEndsAt: timestamp('grace_ends_at', { withTimezone: true }),
    /** Last time a use during the grace period was written to the audit log (at most hourly). */
    graceUseAuditedAt: timestamp('grace_use_audited_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    revokedReason: text('revoked_reason'),
    predecessorId: uuid('predecessor_id').references((): AnyPgColumn => apiKeys.id, { onDelete: 'set null' }),
    successorId: uuid('successor_id').references((): AnyPgColumn => apiKeys.id, { onDelete: 'set null' }),
    /** `v1:<iv>:<tag>:<ciphertext>` (base64) of a worker-issued successor's secret, until fetched once. */
    pendingSecret: text('pending_secret'),
    pendingSecretFetchedAt: timestamp('pending_secret_fetched_at', { withTimezone: true }),
  },
  (t) => [index('api_keys_user_idx').on(t.userId, t.createdAt), index('api_keys_expiry_idx').on(t.expiresAt)],
);

export type ApiKeyRow = typeof apiKeys.$inferSelect;
