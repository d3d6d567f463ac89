/**
 * Delivery from the outbox (docs/notifications.md): the worker claims due rows under a lease (FOR UPDATE SKIP
 * LOCKED, one row per channel per pass and no channel before its rate limit allows), sends them OUTSIDE any
 * transaction and records each outcome: delivered, retry later with exponential backoff, or dead. A worker that dies
 * mid-send leaves its rows leased; when the lease runs out another worker sends them again with the same id, which
 * is the message's idempotency key: at-least-once.
 */
import { and, desc, eq, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { queryRows, rowFromDriver } from '@/db/raw';
import { notificationChannels, notificationOutbox, type NotificationKind } from '@/db/schema';
import { formatDecimal } from '@/server/core/money';
import { logger } from '@/server/logger';
import { CredentialsDecryptionError } from '@/server/services/crypto';
import { findAlert } from '@/server/services/alerts';
import { getDeployment } from '@/server/services/deployments/deployments';
import { findOwnedOrder } from '@/server/services/orders/queries';
import { channelConfigOf, settingsOf, templateBodies, type ChannelRow, type NotificationDeps } from './channels';
import { DEFAULT_TEMPLATES, renderTemplate, type MessageKind, type TemplateVariables } from './render';
import { CHANNEL_SPACING_MS, sendMessage, type SendOutcome } from './senders';
import type { NotificationDeliveryView } from './views';

export type OutboxRow = typeof notificationOutbox.$inferSelect;

export interface DeliveryPolicy {
  /** A claimed row is another worker's to take after this (ms). Longer than a send's timeout. */
  leaseMs: number;
  /** After this many failed attempts the row is dead. */
  maxAttempts: number;
  /** The wait after the first failure; doubles with each further one, up to maxBackoffMs. */
  baseBackoffMs: number;
  maxBackoffMs: number;
}

export const DEFAULT_DELIVERY_POLICY: DeliveryPolicy = { leaseMs: 30_000, maxAttempts: 10, baseBackoffMs: 2_000, maxBackoffMs: 15 * 60_000 };

/** The wait before attempt `attempts + 1` after `attempts` failed ones: base × 2^(attempts−1), capped. */
export function backoffMs(attempts: number, policy: DeliveryPolicy = DEFAULT_DELIVERY_POLICY): number {
  return Math.min(policy.maxBackoffMs, policy.baseBackoffMs * 2 ** Math.max(0, attempts - 1));
}

const DUE = `o.status = 'pending' and o.next_attempt_at <= $1::timestamptz and (o.lease_until is null or o.lease_until < $1::timestamptz)`;

/**
 * Claims due rows from up to `limit` channels whose rate limit allows a message now (one row from a rate-limited
 * channel, up to `perChannel` from a webhook), and moves each rate-limited channel's next allowed send forward. One
 * short transaction; nothing is sent in it.
 */
export async function claimDeliveries(
  db: Db,
  workerId: string,
  options: { limit?: number; perChannel?: number; nowMs?: number; policy?: DeliveryPolicy } = {},
): Promise<OutboxRow[]> {
  const now = new Date(options.nowMs ?? Date.now()).toISOString();
  const policy = options.policy ?? DEFAULT_DELIVERY_POLICY;
  const limit = options.limit ?? 20;
  const perChannel = options.perChannel ?? 10;
  return db.transaction(async (tx) => {
    const channels = await queryRows<{ id: string; type: ChannelRow['type'] }>(
      tx,
      `select c.id, c.type from notification_channels c
       where c.enabled and c.next_send_at <= $1::timestamptz
         and exists (select 1 from notification_outbox o where o.channel_id = c.id and ${DUE})
       order by c.next_send_at limit $2
       for update of c skip locked`,
      [now, limit],
    );
    if (channels.length === 0) return [];
    // A rate-limited channel gives one row per pass; an unlimited one (webhooks) up to `perChannel`, sent in parallel.
    const raw = await queryRows(
      tx,
      `update notification_outbox set lease_until = $1::timestamptz + make_interval(secs => $4::float8 / 1000), leased_by = $5, attempts = attempts + 1
       where id in (
         select pick.id from unnest($2::uuid[], $3::int[]) as ch(id, take)
         cross join lateral (
           select o.id from notification_outbox o where o.channel_id = ch.id and ${DUE}
           order by o.next_attempt_at, o.created_at limit ch.take for update skip locked
         ) pick
       )
       returning *`,
      [now, channels.map((c) => c.id), channels.map((c) => (CHANNEL_SPACING_MS[c.type] > 0 ? 1 : perChannel)), policy.leaseMs, workerId],
    );
    const rows = raw.map((r) => rowFromDriver(notificationOutbox, r));
    const claimed = new Set(rows.map((r) => r.channelId));
    const spaced = channels.filter((c) => claimed.has(c.id) && CHANNEL_SPACING_MS[c.type] > 0);
    if (spaced.length > 0) {
      await queryRows(
        tx,
        `update notification_channels c set next_send_at = $1::timestamptz + make_interval(secs => s.ms / 1000)
         from unnest($2::uuid[], $3::float8[]) as s(id, ms) where c.id = s.id`,
        [now, spaced.map((c) => c.id), spaced.map((c) => CHANNEL_SPACING_MS[c.type])],
      );
    }
    return rows;
  });
}

/**
 * Records one attempt's outcome, if the row is still ours (a row whose lease ran out and was taken by another worker
 * is theirs to record). Returns the status recorded, or null when it was not ours.
 */
export async function recordOutcome(
  db: DbOrTx,
  row: OutboxRow,
  workerId: string,
  outcome: SendOutcome,
  options: { nowMs?: number; policy?: DeliveryPolicy } = {},
): Promise<'delivered' | 'retrying' | 'dead' | null> {
  const nowMs = options.nowMs ?? Date.now();
  const policy = options.policy ?? DEFAULT_DELIVERY_POLICY;
  const ours = and(eq(notificationOutbox.id, row.id), eq(notificationOutbox.leasedBy, workerId), eq(notificationOutbox.status, 'pending'));
  const common = { leaseUntil: null, leasedBy: null, lastHttpStatus: outcome.httpStatus, lastError: outcome.error };
  if (outcome.ok) {
    const done = await db
      .update(notificationOutbox)
      .set({ ...common, status: 'delivered', deliveredAt: new Date(nowMs) })
      .where(ours)
      .returning({ id: notificationOutbox.id });
    return done.length ? 'delivered' : null;
  }
  const dead = outcome.permanent || row.attempts >= policy.maxAttempts;
  const waitMs = Math.max(backoffMs(row.attempts, policy), outcome.retryAfterMs ?? 0);
  const done = await db
    .update(notificationOutbox)
    .set({ ...common, status: dead ? 'dead' : 'pending', nextAttemptAt: new Date(nowMs + (dead ? 0 : waitMs)) })
    .where(ours)
    .returning({ id: notificationOutbox.id });
  if (outcome.retryAfterMs) {
    // The receiver asked the whole channel to wait (Telegram's per-chat limit, Discord's per-webhook one).
    await db
      .update(notificationChannels)
      .set({ nextSendAt: sql`greatest(${notificationChannels.nextSendAt}, ${new Date(nowMs + outcome.retryAfterMs).toISOString()}::timestamptz)` })
      .where(eq(notificationChannels.id, row.channelId));
  }
  return done.length ? (dead ? 'dead' : 'retrying') : null;
}

// ── Rendering ──────────────────────────────────────────────────────────────────────────────────────────────────

const text = (value: unknown): string => (typeof value === 'string' ? value : value === null || value === undefined ? '' : String(value));
const decimal = (value: string | null): string => (value === null ? '' : formatDecimal(value));

/** "<strategy name> <symbol> <timeframe>", how the deployments page names one; '' when there is none. */
async function deploymentName(db: DbOrTx, userId: string, deploymentId: unknown): Promise<string> {
  if (typeof deploymentId !== 'string') return '';
  const view = await getDeployment(db, userId, deploymentId).catch(() => null);
  return view ? [view.strategyName, view.strategy.symbol, view.strategy.timeframe].filter(Boolean).join(' ') : '';
}

/** The values a row's template is filled with, read when it is sent (an order's fills are complete by then). */
export async function messageVariables(db: DbOrTx, row: OutboxRow): Promise<TemplateVariables> {
  const event = row.event;
  const time = row.createdAt.toISOString();
  const kind = row.kind as MessageKind;
  switch (kind) {
    case 'fill':
    case 'order_rejected': {
      const order = await findOwnedOrder(db, row.userId, text(event.orderId)).catch(() => null);
      const name = await deploymentName(db, row.userId, event.deploymentId);
      return {
        symbol: order?.symbol ?? '',
        side: order?.side ?? '',
        quantity: order ? decimal(order.quantity) : '',
        filled: order ? decimal(order.filledQuantity) : '',
        price: order ? decimal(order.averagePrice ?? order.price) : '',
        status: text(event.status),
        reason: order?.statusReason ?? '',
        orderId: text(event.orderId),
        deployment: name ? `[${name}]` : '',
        time,
      };
    }
    case 'deployment_state':
      return {
        deployment: (await deploymentName(db, row.userId, event.deploymentId)) || text(event.deploymentId),
        state: text(event.state),
        deploymentId: text(event.deploymentId),
        time,
      };
    case 'circuit_breaker':
    case 'reconciliation': {
      const alert = await findAlert(db, row.userId, Number(event.alertId));
      const name = await deploymentName(db, row.userId, alert?.deploymentId ?? event.deploymentId);
      return { message: alert?.message ?? '', severity: alert?.severity ?? text(event.severity), deployment: name ? `[${name}]` : '', time };
    }
    case 'kill_switch':
      return { state: event.engaged ? 'engaged' : 'released', scope: text(event.scope), time };
    case 'daily_summary':
      return dailySummaryVariables(db, row.userId, text(event.date));
    case 'test':
      return { channel: '', time };
  }
}

/** The day's figures for the summary (UTC day `date`, YYYY-MM-DD): one read across the trading tables. */
async function dailySummaryVariables(db: DbOrTx, userId: string, date: string): Promise<TemplateVariables> {
  const [row] = await queryRows<{ fills: string; rejections: string; running: string; alerts: string }>(
    db,
    `select
       (select count(*) from fills f join orders o on o.id = f.order_id where o.user_id = $1 and f.executed_at >= $2::date and f.executed_at < $2::date + 1)::text as fills,
       (select count(*) from orders where user_id = $1 and status = 'rejected' and updated_at >= $2::date and updated_at < $2::date + 1)::text as rejections,
       (select count(*) from deployments where user_id = $1 and state = 'running')::text as running,
       (select count(*) from alerts where user_id = $1 and created_at >= $2::date and created_at < $2::date + 1)::text as alerts`,
    [userId, date],
  );
  return { date, fills: row?.fills ?? '0', rejections: row?.rejections ?? '0', running: row?.running ?? '0', alerts: row?.alerts ?? '0' };
}

/** Queues yesterday's (UTC) summary for every channel with a daily_summary rule, once per channel and day. */
export async function queueDailySummaries(db: DbOrTx, nowMs: number = Date.now()): Promise<number> {
  const date = new Date(nowMs - 86_400_000).toISOString().slice(0, 10);
  const rows = await queryRows(
    db,
    `insert into notification_outbox (user_id, channel_id, kind, event, dedupe_key)
     select distinct on (r.channel_id) r.user_id, r.channel_id, 'daily_summary',
            jsonb_build_object('kind', 'daily_summary', 'userId', r.user_id, 'date', $1::text), 'daily:' || $1::text
     from notification_rules r join notification_channels c on c.id = r.channel_id and c.enabled
     where r.kind = 'daily_summary'
     on conflict (channel_id, dedupe_key) do nothing
     returning id`,
    [date],
  );
  return rows.length;
}

/** Forgets delivered and dead rows older than `keepMs` (default 30 days), so the outbox stays small. Returns how many. */
export async function pruneOutbox(db: DbOrTx, nowMs: number = Date.now(), keepMs = 30 * 86_400_000): Promise<number> {
  const rows = await queryRows(db, `delete from notification_outbox where status in ('delivered', 'dead') and created_at < $1::timestamptz returning id`, [
    new Date(nowMs - keepMs).toISOString(),
  ]);
  return rows.length;
}

// ── The pass ───────────────────────────────────────────────────────────────────────────────────────────────────

export interface DeliveryPassResult {
  claimed: number;
  delivered: number;
  retrying: number;
  dead: number;
}

/**
 * One pass: claim, send each claimed row (different channels, in parallel, no transaction open), record. A row
 * whose channel cannot be decrypted or rendered is recorded as a permanent failure, never retried forever.
 */
export async function deliverDue(
  db: Db,
  workerId: string,
  options: { limit?: number; nowMs?: () => number; policy?: DeliveryPolicy; deps?: NotificationDeps } = {},
): Promise<DeliveryPassResult> {
  const clock = options.nowMs ?? Date.now;
  const deps = options.deps ?? {};
  const rows = await claimDeliveries(db, workerId, { limit: options.limit, nowMs: clock(), policy: options.policy });
  const result: DeliveryPassResult = { claimed: rows.length, delivered: 0, retrying: 0, dead: 0 };
  if (rows.length === 0) return result;
  const channelRows = await db
    .select()
    .from(notificationChannels)
    .where(sql`${notificationChannels.id} in ${rows.map((r) => r.channelId)}`);
  const channels = new Map(channelRows.map((c) => [c.id, c]));
  const templates = new Map<string, Partial<Record<NotificationKind, string>>>();
  const settings = settingsOf(deps);
  await Promise.all(
    rows.map(async (row) => {
      let outcome: SendOutcome;
      try {
        const channel = channels.get(row.channelId);
        if (!channel) throw new Error('the channel was deleted');
        if (!templates.has(row.userId)) templates.set(row.userId, await templateBodies(db, row.userId));
        const kind = row.kind as MessageKind;
        const body = (kind === 'test' ? undefined : templates.get(row.userId)?.[kind]) ?? DEFAULT_TEMPLATES[kind] ?? '{{message}}';
        const variables = await messageVariables(db, row);
        if (kind === 'test') variables.channel = channel.name;
        const message = { id: row.id, kind, text: renderTemplate(body, variables), event: row.event, createdAt: row.createdAt.toISOString() };
        outcome = await (deps.send ?? sendMessage)(channelConfigOf(channel, deps), message, settings);
      } catch (error) {
        // A channel that cannot be decrypted will not heal by waiting; anything else (the database, a lookup) may.
        // The page shows our words, never a driver's message.
        const undecryptable = error instanceof CredentialsDecryptionError;
        if (!undecryptable) logger.warn({ err: error, deliveryId: row.id }, 'notification could not be prepared; retrying');
        outcome = {
          ok: false,
          httpStatus: null,
          error: undecryptable ? 'the channel’s secrets cannot be decrypted (master key changed?): add the channel again' : 'the message could not be prepared',
          permanent: undecryptable,
          retryAfterMs: null,
        };
      }
      const status = await recordOutcome(db, row, workerId, outcome, { nowMs: clock(), policy: options.policy });
      if (status && status !== 'delivered') result[status]++;
      else if (status === 'delivered') result.delivered++;
    }),
  );
  return result;
}

// ── The page's list ────────────────────────────────────────────────────────────────────────────────────────────

export async function listDeliveries(db: DbOrTx, userId: string, options: { limit?: number } = {}): Promise<NotificationDeliveryView[]> {
  const rows = await db
    .select({ row: notificationOutbox, channelName: notificationChannels.name })
    .from(notificationOutbox)
    .innerJoin(notificationChannels, eq(notificationChannels.id, notificationOutbox.channelId))
    .where(eq(notificationOutbox.userId, userId))
    .orderBy(desc(notificationOutbox.createdAt), desc(notificationOutbox.id))
    .limit(Math.min(Math.max(options.limit ?? 50, 1), 200));
  return rows.map(({ row, channelName }) => ({
    id: row.id,
    channelId: row.channelId,
    channelName,
    kind: row.kind,
    status: row.status === 'pending' ? (row.attempts > 0 && row.lastError !== null ? 'retrying' : 'pending') : row.status,
    attempts: row.attempts,
    lastError: row.lastError,
    lastHttpStatus: row.lastHttpStatus,
    nextAttemptAt: row.status === 'pending' ? row.nextAttemptAt.toISOString() : null,
    createdAt: row.createdAt.toISOString(),
    deliveredAt: row.deliveredAt ? row.deliveredAt.toISOString() : null,
  }));
}
