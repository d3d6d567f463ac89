/**
 * A user's notification channels, rules and templates (docs/notifications.md). A channel's configuration is
 * encrypted at rest like exchange credentials and never leaves this module except to the senders: callers see
 * a hint. Every query is scoped by the user's id; another user's channel is "not found".
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { and, asc, eq } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { notificationChannels, notificationOutbox, notificationRules, notificationTemplates, NOTIFICATION_KINDS, type NotificationKind } from '@/db/schema';
import { AppError, type FieldIssue } from '@/server/core/errors';
import { isUuid } from '@/server/core/ids';
import { notifySettings, type NotifySettings } from '@/server/env';
import { CredentialsDecryptionError, masterKeysFromEnv, openJson, sealJson, type MasterKey } from '@/server/services/crypto';
import { findOwnedDeployment } from '@/server/services/deployments/deployments';
import { BlockedAddressError, checkUrlAllowed } from './net-guard';
import { CHANNEL_CONFIG_PURPOSE } from './reseal';
import { DEFAULT_TEMPLATES, renderTemplate, sampleVariables, templateVariables, unknownPlaceholders, type MessageKind } from './render';
import { sendMessage, type ChannelConfig, type SendOutcome } from './senders';
import type { CreatedNotificationChannelView, NotificationChannelView, NotificationRuleView, NotificationTemplateView, NotificationTestResult } from './views';

/** What the service needs from outside; tests override each. */
export interface NotificationDeps {
  keys?: readonly MasterKey[];
  settings?: () => NotifySettings;
  now?: () => number;
  send?: (config: ChannelConfig, message: Parameters<typeof sendMessage>[1], settings: NotifySettings) => Promise<SendOutcome>;
}

export type CreateChannelInput =
  | { type: 'telegram'; name: string; botToken: string; chatId: string }
  | { type: 'discord'; name: string; webhookUrl: string }
  | { type: 'webhook'; name: string; url: string; secret?: string };

export type ChannelRow = typeof notificationChannels.$inferSelect;

export const keysOf = (deps: NotificationDeps) => deps.keys ?? masterKeysFromEnv();
export const settingsOf = (deps: NotificationDeps) => (deps.settings ?? notifySettings)();

function fail(fields: FieldIssue[]): never {
  throw AppError.validation(fields);
}

export function toChannelView(row: ChannelRow): NotificationChannelView {
  return {
    id: row.id,
    type: row.type,
    name: row.name,
    enabled: row.enabled,
    targetHint: row.targetHint,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

const last4 = (value: string) => (value.length >= 8 ? `…${value.slice(-4)}` : '…');

/** Discord's webhook URLs, as Discord shows them; the sender posts to NOTIFY_DISCORD_API_URL with the same id and token. */
const DISCORD_WEBHOOK = /^https:\/\/(?:(?:ptb|canary)\.)?discord(?:app)?\.com\/api(?:\/v\d+)?\/webhooks\/(\d{5,30})\/([\w-]{20,200})\/?$/;

/** The configuration to encrypt and the hint to show, or a 422 naming the field. */
function channelConfig(input: CreateChannelInput, settings: NotifySettings): { config: ChannelConfig; hint: string; generatedSecret: string | null } {
  switch (input.type) {
    case 'telegram': {
      if (!/^\d{3,20}:[\w-]{20,100}$/.test(input.botToken)) fail([{ field: 'botToken', message: 'must be a bot token as BotFather gives it (123456:ABC…)' }]);
      if (!/^(-?\d{1,20}|@\w{4,64})$/.test(input.chatId))
        fail([{ field: 'chatId', message: 'must be a numeric chat id (e.g. -1001234567890) or @channelname' }]);
      return {
        config: { type: 'telegram', botToken: input.botToken, chatId: input.chatId },
        hint: `chat ${input.chatId} · bot ${last4(input.botToken)}`,
        generatedSecret: null,
      };
    }
    case 'discord': {
      const match = DISCORD_WEBHOOK.exec(input.webhookUrl.trim());
      if (!match) fail([{ field: 'webhookUrl', message: 'must be a Discord webhook URL (https://discord.com/api/webhooks/<id>/<token>)' }]);
      return { config: { type: 'discord', webhookId: match[1]!, webhookToken: match[2]! }, hint: `Discord webhook ${last4(match[1]!)}`, generatedSecret: null };
    }
    case 'webhook': {
      let url: URL;
      try {
        url = new URL(input.url.trim());
      } catch {
        fail([{ field: 'url', message: 'must be an absolute https:// URL' }]);
      }
      if (url.username || url.password) fail([{ field: 'url', message: 'must not contain a user name or password' }]);
      try {
        checkUrlAllowed(url, settings.allowPrivateNetworks);
      } catch (error) {
        if (error instanceof BlockedAddressError) fail([{ field: 'url', message: error.message }]);
        throw error;
      }
      if (input.secret !== undefined && input.secret.length < 16)
        fail([{ field: 'secret', message: 'must be at least 16 characters (or leave it out to have one generated)' }]);
      const generatedSecret = input.secret === undefined ? `whsec_${randomBytes(24).toString('base64url')}` : null;
      return { config: { type: 'webhook', url: url.toString(), secret: input.secret ?? generatedSecret! }, hint: `${url.origin}/…`, generatedSecret };
    }
  }
}

function uniqueNameConflict(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string; constraint_name?: string } } | null)?.cause ?? (error as { code?: string; constraint_name?: string });
  return cause?.code === '23505' && cause.constraint_name === 'notification_channels_user_name_key';
}

export async function createChannel(
  db: DbOrTx,
  userId: string,
  input: CreateChannelInput,
  deps: NotificationDeps = {},
): Promise<CreatedNotificationChannelView> {
  const name = input.name.trim();
  if (!name) fail([{ field: 'name', message: 'is required' }]);
  const { config, hint, generatedSecret } = channelConfig(input, settingsOf(deps));
  const [current] = keysOf(deps);
  if (!current) throw new Error('no master key configured');
  const id = randomUUID();
  const sealed = sealJson(current, CHANNEL_CONFIG_PURPOSE, [userId, id], config);
  try {
    const [row] = await db
      .insert(notificationChannels)
      .values({
        id,
        userId,
        type: input.type,
        name,
        targetHint: hint,
        configNonce: sealed.nonce,
        configCiphertext: sealed.ciphertext,
        configKeyVersion: sealed.keyVersion,
      })
      .returning();
    return { ...toChannelView(row!), signingSecret: generatedSecret };
  } catch (error) {
    if (uniqueNameConflict(error))
      throw new AppError('CONFLICT', 'you already have a channel with this name', {
        fields: [{ field: 'name', message: 'is already used by another of your channels' }],
      });
    throw error;
  }
}

export async function listChannels(db: DbOrTx, userId: string): Promise<NotificationChannelView[]> {
  const rows = await db.select().from(notificationChannels).where(eq(notificationChannels.userId, userId)).orderBy(asc(notificationChannels.createdAt));
  return rows.map(toChannelView);
}

export async function findOwnedChannel(db: DbOrTx, userId: string, channelId: string): Promise<ChannelRow> {
  if (!isUuid(channelId)) throw AppError.notFound('notification channel');
  const [row] = await db
    .select()
    .from(notificationChannels)
    .where(and(eq(notificationChannels.id, channelId), eq(notificationChannels.userId, userId)))
    .limit(1);
  if (!row) throw AppError.notFound('notification channel');
  return row;
}

export async function updateChannel(
  db: DbOrTx,
  userId: string,
  channelId: string,
  input: { name?: string; enabled?: boolean },
): Promise<NotificationChannelView> {
  await findOwnedChannel(db, userId, channelId);
  const changes: Partial<ChannelRow> = { updatedAt: new Date() };
  if (input.name !== undefined) {
    if (!input.name.trim()) fail([{ field: 'name', message: 'is required' }]);
    changes.name = input.name.trim();
  }
  if (input.enabled !== undefined) changes.enabled = input.enabled;
  try {
    const [row] = await db
      .update(notificationChannels)
      .set(changes)
      .where(and(eq(notificationChannels.id, channelId), eq(notificationChannels.userId, userId)))
      .returning();
    return toChannelView(row!);
  } catch (error) {
    if (uniqueNameConflict(error))
      throw new AppError('CONFLICT', 'you already have a channel with this name', {
        fields: [{ field: 'name', message: 'is already used by another of your channels' }],
      });
    throw error;
  }
}

/** Deletes the channel with its rules and deliveries. */
export async function deleteChannel(db: DbOrTx, userId: string, channelId: string): Promise<{ deleted: true }> {
  await findOwnedChannel(db, userId, channelId);
  await db.delete(notificationChannels).where(and(eq(notificationChannels.id, channelId), eq(notificationChannels.userId, userId)));
  return { deleted: true };
}

/** The channel's decrypted configuration (for the senders only). */
export function channelConfigOf(row: ChannelRow, deps: NotificationDeps = {}): ChannelConfig {
  return openJson(keysOf(deps), CHANNEL_CONFIG_PURPOSE, [row.userId, row.id], {
    nonce: row.configNonce,
    ciphertext: row.configCiphertext,
    keyVersion: row.configKeyVersion,
  }) as ChannelConfig;
}

// ── Rules ──────────────────────────────────────────────────────────────────────────────────────────────────────

function toRuleView(row: typeof notificationRules.$inferSelect): NotificationRuleView {
  return { id: row.id, channelId: row.channelId, kind: row.kind, deploymentId: row.deploymentId, createdAt: row.createdAt.toISOString() };
}

export async function listRules(db: DbOrTx, userId: string): Promise<NotificationRuleView[]> {
  const rows = await db.select().from(notificationRules).where(eq(notificationRules.userId, userId)).orderBy(asc(notificationRules.createdAt));
  return rows.map(toRuleView);
}

export async function createRule(
  db: DbOrTx,
  userId: string,
  input: { channelId: string; kind: NotificationKind; deploymentId?: string | null },
): Promise<NotificationRuleView> {
  if (!NOTIFICATION_KINDS.includes(input.kind)) fail([{ field: 'kind', message: `must be one of ${NOTIFICATION_KINDS.join(', ')}` }]);
  if (!isUuid(input.channelId)) fail([{ field: 'channelId', message: 'is not one of your channels' }]);
  await findOwnedChannel(db, userId, input.channelId).catch(() => fail([{ field: 'channelId', message: 'is not one of your channels' }]));
  const deploymentId = input.deploymentId ?? null;
  if (deploymentId !== null)
    await findOwnedDeployment(db, userId, deploymentId).catch(() => fail([{ field: 'deploymentId', message: 'is not one of your deployments' }]));
  const [row] = await db
    .insert(notificationRules)
    .values({ userId, channelId: input.channelId, kind: input.kind, deploymentId })
    .onConflictDoNothing()
    .returning();
  if (!row) throw new AppError('CONFLICT', 'this channel already has this rule', { fields: [{ field: 'kind', message: 'is already sent to this channel' }] });
  return toRuleView(row);
}

export async function deleteRule(db: DbOrTx, userId: string, ruleId: string): Promise<{ deleted: true }> {
  if (!isUuid(ruleId)) throw AppError.notFound('notification rule');
  const [row] = await db
    .delete(notificationRules)
    .where(and(eq(notificationRules.id, ruleId), eq(notificationRules.userId, userId)))
    .returning({ id: notificationRules.id });
  if (!row) throw AppError.notFound('notification rule');
  return { deleted: true };
}

// ── Templates ──────────────────────────────────────────────────────────────────────────────────────────────────

export async function templateBodies(db: DbOrTx, userId: string): Promise<Partial<Record<NotificationKind, string>>> {
  const rows = await db.select().from(notificationTemplates).where(eq(notificationTemplates.userId, userId));
  return Object.fromEntries(rows.map((r) => [r.kind, r.body]));
}

export async function listTemplates(db: DbOrTx, userId: string): Promise<NotificationTemplateView[]> {
  const own = await templateBodies(db, userId);
  return NOTIFICATION_KINDS.map((kind) => ({
    kind,
    body: own[kind] ?? DEFAULT_TEMPLATES[kind],
    isDefault: own[kind] === undefined,
    variables: [...templateVariables(kind)],
  }));
}

function checkTemplate(kind: NotificationKind, body: string): void {
  if (!body.trim()) fail([{ field: 'body', message: 'is required' }]);
  const unknown = unknownPlaceholders(kind, body);
  if (unknown.length)
    fail([{ field: 'body', message: `has unknown placeholders: ${unknown.map((n) => `{{${n}}}`).join(', ')} (use: ${templateVariables(kind).join(', ')})` }]);
}

export async function setTemplate(db: DbOrTx, userId: string, input: { kind: NotificationKind; body: string }): Promise<NotificationTemplateView> {
  checkTemplate(input.kind, input.body);
  await db
    .insert(notificationTemplates)
    .values({ userId, kind: input.kind, body: input.body })
    .onConflictDoUpdate({ target: [notificationTemplates.userId, notificationTemplates.kind], set: { body: input.body, updatedAt: new Date() } });
  return { kind: input.kind, body: input.body, isDefault: false, variables: [...templateVariables(input.kind)] };
}

export async function resetTemplate(db: DbOrTx, userId: string, kind: NotificationKind): Promise<NotificationTemplateView> {
  await db.delete(notificationTemplates).where(and(eq(notificationTemplates.userId, userId), eq(notificationTemplates.kind, kind)));
  return { kind, body: DEFAULT_TEMPLATES[kind], isDefault: true, variables: [...templateVariables(kind)] };
}

/** The template rendered with sample values (the editor's preview); unknown placeholders are listed, not refused. */
export function previewTemplate(input: { kind: MessageKind; body: string }): { text: string; unknownPlaceholders: string[] } {
  return { text: renderTemplate(input.body, sampleVariables(input.kind)), unknownPlaceholders: unknownPlaceholders(input.kind, input.body) };
}

// ── Send test ──────────────────────────────────────────────────────────────────────────────────────────────────

/**
 * Sends a test message now (from the caller's process, through the same sender and SSRF guard) and logs it with the
 * deliveries, delivered or dead, so the page shows it beside the others.
 */
export async function sendTestMessage(db: DbOrTx, userId: string, channelId: string, deps: NotificationDeps = {}): Promise<NotificationTestResult> {
  const row = await findOwnedChannel(db, userId, channelId);
  const now = (deps.now ?? Date.now)();
  const id = randomUUID();
  const text = renderTemplate(DEFAULT_TEMPLATES.test, { channel: row.name, time: new Date(now).toISOString() });
  const event = { kind: 'test', userId, channelId };
  const message = { id, kind: 'test' as const, text, event, createdAt: new Date(now).toISOString() };
  const settings = settingsOf(deps);
  let config: ChannelConfig | null = null;
  try {
    config = channelConfigOf(row, deps);
  } catch (error) {
    if (!(error instanceof CredentialsDecryptionError)) throw error;
  }
  const outcome: SendOutcome = config
    ? await (deps.send ?? sendMessage)(config, message, settings)
    : {
        ok: false,
        httpStatus: null,
        error: 'the channel’s secrets cannot be decrypted (master key changed?): add the channel again',
        permanent: true,
        retryAfterMs: null,
      };
  await db.insert(notificationOutbox).values({
    id,
    userId,
    channelId,
    kind: 'test',
    event,
    status: outcome.ok ? 'delivered' : 'dead',
    attempts: 1,
    lastError: outcome.error,
    lastHttpStatus: outcome.httpStatus,
    createdAt: new Date(now),
    deliveredAt: outcome.ok ? new Date(now) : null,
  });
  return { ok: outcome.ok, httpStatus: outcome.httpStatus, error: outcome.error, deliveryId: id };
}
