import { sql } from 'drizzle-orm';
import { bigint, boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { deployments } from './deployments';
import { users } from './users';

/** Where a notification can go (docs/notifications.md). */
export const NOTIFICATION_CHANNEL_TYPES = ['telegram', 'discord', 'webhook'] as const;
export type NotificationChannelType = (typeof NOTIFICATION_CHANNEL_TYPES)[number];

/** What a rule can ask for; each AppEvent maps to at most one (server/services/notifications/kinds.ts). */
export const NOTIFICATION_KINDS = ['fill', 'order_rejected', 'deployment_state', 'circuit_breaker', 'kill_switch', 'reconciliation', 'daily_summary'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** pending (first attempt or a retry waiting for its time), delivered, dead (gave up: too many attempts or a permanent refusal). */
export const NOTIFICATION_DELIVERY_STATUSES = ['pending', 'delivered', 'dead'] as const;
export type NotificationDeliveryStatus = (typeof NOTIFICATION_DELIVERY_STATUSES)[number];

/**
 * A user's notification channel. Its configuration (bot token and chat id, a Discord webhook URL, a webhook URL
 * and signing secret) is one AES-256-GCM ciphertext bound to (user id, channel id), like exchange credentials;
 * `targetHint` is what the UI shows instead (never a secret).
 */
export const notificationChannels = pgTable(
  'notification_channels',
  {
    id: uuid('id')
      .primaryKey()
      .default(sql`gen_random_uuid()`),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    type: text('type').$type<NotificationChannelType>().notNull(),
    name: text('name').notNull(),
    enabled: boolean('enabled').notNull().default(true),
    targetHint: text('target_hint').notNull(),
    configNonce: text('config_nonce').notNull(),
    configCiphertext: text('config_ciphertext').notNull(),
    configKeyVersion: text('config_key_version').notNull(),
    /** Rate limit: the delivery loop sends nothing to this channel before then (ms spacing per channel type). */
    nextSendAt: timestamp('next_send_at', { withTimezone: true }).notNull().defaultNow(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique('notification_channels_user_name_key').on(t.userId, t.name)],
);

/** Which kind of event reaches which channel: for every deployment (deploymentId null) or for one. */
export const notificationRules = pgTable(
  'notification_rules',
  {
    id: uuid('id')
      .primaryKey()
      .default(sql`gen_random_uuid()`),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    channelId: uuid('channel_id')
      .notNull()
      .references(() => notificationChannels.id, { onDelete: 'cascade' }),
    kind: text('kind').$type<NotificationKind>().notNull(),
    deploymentId: uuid('deployment_id').references(() => deployments.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // The outbox insert beside every event probes this index (user, kind): nothing else on the hot path.
    index('notification_rules_user_kind_idx').on(t.userId, t.kind),
    unique('notification_rules_channel_kind_deployment_key').on(t.channelId, t.kind, t.deploymentId).nullsNotDistinct(),
  ],
);

/** A user's message template for one kind; absent: the built-in default. */
export const notificationTemplates = pgTable(
  'notification_templates',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    kind: text('kind').$type<NotificationKind>().notNull(),
    body: text('body').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.kind] })],
);

/**
 * The outbox: one row per (event, channel), inserted in the transaction that sends the event, so a notification
 * exists exactly when its event committed. The worker's delivery loop claims rows under a lease, sends outside any
 * transaction and records the outcome; `id` is the idempotency key of every attempt.
 */
export const notificationOutbox = pgTable(
  'notification_outbox',
  {
    id: uuid('id')
      .primaryKey()
      .default(sql`gen_random_uuid()`),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    channelId: uuid('channel_id')
      .notNull()
      .references(() => notificationChannels.id, { onDelete: 'cascade' }),
    kind: text('kind').notNull(),
    /** The AppEvent (or the daily summary's figures) the message is rendered from. */
    event: jsonb('event').$type<Record<string, unknown>>().notNull(),
    /** Makes a scheduled notification (the daily summary) one row per channel and day. */
    dedupeKey: text('dedupe_key'),
    status: text('status').$type<NotificationDeliveryStatus>().notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    leaseUntil: timestamp('lease_until', { withTimezone: true }),
    leasedBy: text('leased_by'),
    lastError: text('last_error'),
    /** The receiver's HTTP status on the last attempt (null: no answer). */
    lastHttpStatus: integer('last_http_status'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
  },
  (t) => [
    // The delivery loop's per-channel pick of the oldest due row.
    index('notification_outbox_due_idx')
      .on(t.channelId, t.nextAttemptAt)
      .where(sql`${t.status} = 'pending'`),
    index('notification_outbox_user_idx').on(t.userId, t.createdAt),
    unique('notification_outbox_channel_dedupe_key').on(t.channelId, t.dedupeKey),
  ],
);

/**
 * Telegram commands from a channel's linked chat (docs/notifications.md "Commands"): the next getUpdates offset (an
 * update is answered once: the offset moves past it after its command ran, so a restarted worker never runs it
 * again), a pending /killswitch awaiting its /confirm, and the poller's lease (one worker polls a channel at a time).
 */
export const telegramCommandStates = pgTable('telegram_command_states', {
  channelId: uuid('channel_id')
    .primaryKey()
    .references(() => notificationChannels.id, { onDelete: 'cascade' }),
  /** Telegram's getUpdates offset: the first update_id not yet handled. */
  updateOffset: bigint('update_offset', { mode: 'number' }).notNull().default(0),
  /** When /killswitch was asked for (null: nothing to confirm). */
  killSwitchAskedAt: timestamp('kill_switch_asked_at', { withTimezone: true }),
  leasedBy: text('leased_by'),
  leaseUntil: timestamp('lease_until', { withTimezone: true }),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
