import { sql } from 'drizzle-orm';
import { index, numeric, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { users } from './users';

/**
 * A user's trading accounts: `exchange` is "paper" (simulated, balances in `paper_balances`) or a ccxt id.
 * Credentials of real exchanges are one AES-256-GCM ciphertext of the JSON {apiKey, secret, password?},
 * bound by associated data to (user id, account id); nothing secret is stored in the clear.
 */
export const exchangeAccounts = pgTable(
  'exchange_accounts',
  {
    id: uuid('id')
      .primaryKey()
      .default(sql`gen_random_uuid()`),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** "paper" or a ccxt exchange id. */
    exchange: text('exchange').notNull(),
    /** Paper only: fraction of each fill's quote value charged as fee (0.001 = 0.1%). */
    feeRate: numeric('fee_rate'),
    /** Paper only: fraction applied against market fills. */
    slippage: numeric('slippage'),
    /** base64 of the 96-bit GCM nonce; null for paper accounts. */
    credentialsNonce: text('credentials_nonce'),
    /** base64 of ciphertext || 16-byte GCM tag. */
    credentialsCiphertext: text('credentials_ciphertext'),
    /** Which master key encrypted the row: a fingerprint of the key (see server/services/crypto). */
    credentialsKeyVersion: text('credentials_key_version'),
    /** Last 4 characters of the API key, for the UI to tell keys apart; never more. */
    apiKeyHint: text('api_key_hint'),
    /** A reconciliation pass holds the account until then (server/services/reconcile); null: nobody does. */
    reconcileLeaseUntil: timestamp('reconcile_lease_until', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('exchange_accounts_user_name_idx').on(t.userId, t.name), index('exchange_accounts_key_version_idx').on(t.credentialsKeyVersion)],
);

/** Balances of paper accounts, one row per asset: `free` + `used` (reserved by open orders) = total. */
export const paperBalances = pgTable(
  'paper_balances',
  {
    accountId: uuid('account_id')
      .notNull()
      .references(() => exchangeAccounts.id, { onDelete: 'cascade' }),
    asset: text('asset').notNull(),
    free: numeric('free').notNull().default('0'),
    used: numeric('used').notNull().default('0'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.asset] })],
);
