/**
 * The three senders (Telegram bot, Discord webhook, signed HTTPS webhook): each builds its request from the channel's
 * decrypted configuration and the rendered message, posts it through the SSRF guard (net-guard.ts) and sorts the
 * answer into delivered / retry later / give up. Nothing here touches the database.
 */
import { createHmac } from 'node:crypto';
import type { NotifySettings } from '@/server/env';
import { BlockedAddressError, postGuarded, type PostOptions, type PostResult } from './net-guard';
import type { MessageKind } from './render';

export type ChannelConfig =
  | { type: 'telegram'; botToken: string; chatId: string }
  | { type: 'discord'; webhookId: string; webhookToken: string }
  | { type: 'webhook'; url: string; secret: string };

export interface OutgoingMessage {
  /** The outbox row's id: the idempotency key of every attempt. */
  id: string;
  kind: MessageKind;
  text: string;
  /** What the message was rendered from (the webhook's receiver gets it whole). */
  event: Record<string, unknown>;
  createdAt: string;
}

export interface SendOutcome {
  ok: boolean;
  httpStatus: number | null;
  /** Never a secret: tokens and URLs are not part of it. */
  error: string | null;
  /** A refusal that will not change on retry (bad token, unknown chat, a blocked address). */
  permanent: boolean;
  /** The receiver asked to wait this long (429 Retry-After, Telegram's retry_after). */
  retryAfterMs: number | null;
}

export const SIGNATURE_HEADER = 'X-Cryptobot-Signature';
export const TIMESTAMP_HEADER = 'X-Cryptobot-Timestamp';
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

/** `sha256=<hex>` of HMAC-SHA256(secret, `${timestamp}.${body}`): what a receiver recomputes to verify (docs/notifications.md). */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

interface BuiltRequest {
  url: URL;
  body: string;
  headers: Record<string, string>;
}

export function buildRequest(config: ChannelConfig, message: OutgoingMessage, settings: NotifySettings, nowMs: number): BuiltRequest {
  switch (config.type) {
    case 'telegram':
      return {
        url: new URL(`${settings.telegramApiUrl}/bot${config.botToken}/sendMessage`),
        body: JSON.stringify({ chat_id: config.chatId, text: message.text, disable_web_page_preview: true }),
        headers: {},
      };
    case 'discord':
      return {
        url: new URL(`${settings.discordApiUrl}/api/webhooks/${config.webhookId}/${config.webhookToken}?wait=true`),
        body: JSON.stringify({ content: message.text, allowed_mentions: { parse: [] } }),
        headers: {},
      };
    case 'webhook': {
      const body = JSON.stringify({ id: message.id, kind: message.kind, text: message.text, createdAt: message.createdAt, event: message.event });
      const timestamp = Math.floor(nowMs / 1000).toString();
      return {
        url: new URL(config.url),
        body,
        headers: {
          [TIMESTAMP_HEADER]: timestamp,
          [SIGNATURE_HEADER]: webhookSignature(config.secret, timestamp, body),
          [IDEMPOTENCY_HEADER]: message.id,
          'User-Agent': 'Cryptobot-Notify/1',
        },
      };
    }
  }
}

function retryAfterMs(result: PostResult): number | null {
  try {
    const parsed = JSON.parse(result.body) as { parameters?: { retry_after?: unknown }; retry_after?: unknown };
    const seconds = parsed.parameters?.retry_after ?? parsed.retry_after;
    if (typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  } catch {
    // not JSON: the header, if any
  }
  const header = Number(result.headers['retry-after']);
  return Number.isFinite(header) && header >= 0 ? Math.ceil(header * 1000) : null;
}

/** The receiver's own words, short and without anything of ours (Telegram's `description`, Discord's `message`). */
function answerText(result: PostResult): string {
  try {
    const parsed = JSON.parse(result.body) as { description?: unknown; message?: unknown };
    const text = parsed.description ?? parsed.message;
    if (typeof text === 'string') return text.slice(0, 200);
  } catch {
    // fall through
  }
  return result.body.replace(/\s+/g, ' ').slice(0, 200);
}

export function classify(result: PostResult): SendOutcome {
  const status = result.status;
  if (status >= 200 && status < 300) return { ok: true, httpStatus: status, error: null, permanent: false, retryAfterMs: null };
  const retryable = status === 408 || status === 425 || status === 429 || status >= 500;
  const said = answerText(result);
  return {
    ok: false,
    httpStatus: status,
    error: `HTTP ${status}${said ? `: ${said}` : ''}`,
    permanent: !retryable,
    retryAfterMs: status === 429 ? retryAfterMs(result) : null,
  };
}

/** One attempt. Never throws: a network failure is a retryable outcome, a blocked address a permanent one. */
export async function sendMessage(
  config: ChannelConfig,
  message: OutgoingMessage,
  settings: NotifySettings,
  options: { nowMs?: number; timeoutMs?: number; resolve?: PostOptions['resolve'] } = {},
): Promise<SendOutcome> {
  let request: BuiltRequest;
  try {
    request = buildRequest(config, message, settings, options.nowMs ?? Date.now());
  } catch {
    return { ok: false, httpStatus: null, error: 'the channel’s address is not a valid URL', permanent: true, retryAfterMs: null };
  }
  try {
    const result = await postGuarded(request.url, request.body, request.headers, {
      allowPrivateNetworks: settings.allowPrivateNetworks,
      timeoutMs: options.timeoutMs,
      resolve: options.resolve,
    });
    return classify(result);
  } catch (error) {
    if (error instanceof BlockedAddressError) return { ok: false, httpStatus: null, error: error.message, permanent: true, retryAfterMs: null };
    const code = (error as { code?: unknown }).code;
    const reason = typeof code === 'string' ? code : error instanceof Error ? error.message : 'network error';
    // The Telegram and Discord URLs hold the token: never echo one.
    const safe = reason.replace(/bot\d+:[\w-]+/g, 'bot…').replace(/webhooks\/\d+\/[\w-]+/g, 'webhooks/…');
    return { ok: false, httpStatus: null, error: `network: ${safe.slice(0, 200)}`, permanent: false, retryAfterMs: null };
  }
}

/** The minimum spacing between two messages to one channel (Telegram: about one a second per chat). */
export const CHANNEL_SPACING_MS: Record<ChannelConfig['type'], number> = { telegram: 1_000, discord: 1_000, webhook: 0 };
