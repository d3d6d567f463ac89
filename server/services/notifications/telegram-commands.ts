/**
 * Telegram commands from a channel's linked chat (docs/notifications.md "Commands"): the worker polls each enabled
 * Telegram channel's bot with getUpdates (on the configurable Telegram base URL, through the SSRF guard), and answers
 * in that chat:
 *   /status      the kill switch and the user's running and paused deployments
 *   /pause       pauses every running deployment of the user (the deployment transition `pause`)
 *   /killswitch  asks for a confirmation: "/confirm" within KILL_SWITCH_CONFIRM_MS engages the user's kill switch
 * Messages from any other chat are ignored (a bot can be messaged by anyone). Each update is handled once: one worker
 * holds a channel's lease while it polls, and the stored offset moves past an update right after its command ran, so a
 * restarted worker never runs it again (a worker killed between the command and the offset runs it again: every
 * command is idempotent: pausing what is paused, engaging what is engaged). Replies are sent after, at most once.
 */
import { and, eq } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { queryRows } from '@/db/raw';
import { notificationChannels, telegramCommandStates, users } from '@/db/schema';
import { formatDecimal } from '@/server/core/money';
import type { NotifySettings } from '@/server/env';
import { logger } from '@/server/logger';
import { listDeployments, pauseDeployment, type DeploymentDeps } from '@/server/services/deployments';
import { engageKillSwitch, getKillSwitchState } from '@/server/services/kill-switch/kill-switch';
import { channelConfigOf, settingsOf, type ChannelRow, type NotificationDeps } from './channels';
import { postGuarded } from './net-guard';

/** How long a /killswitch waits for its /confirm (ms). */
export const KILL_SWITCH_CONFIRM_MS = 60_000;
/** A channel's poll is another worker's to take after this (ms): longer than a poll and its replies. */
const LEASE_MS = 30_000;

export interface TelegramCommandDeps extends NotificationDeps {
  deployments?: DeploymentDeps;
  timeoutMs?: number;
}

interface TelegramUpdate {
  update_id: number;
  message?: { chat?: { id?: number | string }; text?: string };
}

export interface PollResult {
  channels: number;
  /** Commands run (from the linked chat). */
  commands: number;
  /** Updates skipped: another chat, or not a command. */
  ignored: number;
}

async function callBot(settings: NotifySettings, botToken: string, method: string, body: unknown, timeoutMs: number): Promise<unknown> {
  const url = new URL(`${settings.telegramApiUrl}/bot${botToken}/${method}`);
  const result = await postGuarded(url, JSON.stringify(body), {}, { allowPrivateNetworks: settings.allowPrivateNetworks, timeoutMs });
  if (result.status < 200 || result.status >= 300) throw new Error(`telegram ${method}: HTTP ${result.status}`);
  return JSON.parse(result.body) as unknown;
}

/** The command an update's text is ("/status@MyBot now" → "/status"), or null for plain text. */
export function commandOf(text: string | undefined): string | null {
  const first = text?.trim().split(/\s+/)[0];
  if (!first?.startsWith('/')) return null;
  return first.split('@')[0]!.toLowerCase();
}

async function statusText(db: Db, userId: string, deps: TelegramCommandDeps): Promise<string> {
  const [halt, active] = await Promise.all([getKillSwitchState(db, await actorOf(db, userId)), listDeployments(db, userId, {}, deps.deployments ?? {})]);
  const lines = [halt.engaged ? `Kill switch: ENGAGED${halt.reason ? ` (${halt.reason})` : ''}` : 'Kill switch: off'];
  const shown = active.filter((d) => d.state === 'running' || d.state === 'paused');
  if (shown.length === 0) lines.push('No running or paused deployments.');
  for (const d of shown.slice(0, 20)) {
    const quote = d.strategy.symbol.split('/')[1] ?? '';
    lines.push(
      `• ${d.strategyName ?? d.strategy.type} ${d.strategy.symbol} (${d.mode}): ${d.state}${d.stateReason ? ` (${d.stateReason})` : ''}, equity ${formatDecimal(d.equity)} ${quote}`,
    );
  }
  if (shown.length > 20) lines.push(`… and ${shown.length - 20} more`);
  return lines.join('\n');
}

async function actorOf(db: Db, userId: string) {
  const [user] = await db.select({ role: users.role }).from(users).where(eq(users.id, userId));
  return { id: userId, role: user?.role === 'admin' ? ('admin' as const) : ('user' as const) };
}

/** Runs one command for the channel's user; returns the reply and the pending /killswitch to store (undefined: unchanged). */
async function runCommand(
  db: Db,
  channel: ChannelRow,
  command: string,
  askedAt: Date | null,
  now: number,
  deps: TelegramCommandDeps,
): Promise<{ reply: string; askedAt?: Date | null }> {
  const userId = channel.userId;
  switch (command) {
    case '/status':
      return { reply: await statusText(db, userId, deps) };
    case '/pause': {
      const running = (await listDeployments(db, userId, { state: 'running' }, deps.deployments ?? {})).filter((d) => d.state === 'running');
      const paused: string[] = [];
      for (const d of running) {
        const view = await pauseDeployment(db, userId, d.id, deps.deployments ?? {}, 'paused from Telegram').catch(() => null);
        if (view?.state === 'paused') paused.push(`${d.strategyName ?? d.strategy.type} ${d.strategy.symbol}`);
      }
      return { reply: paused.length ? `Paused ${paused.length}: ${paused.join(', ')}. Resume them from the app.` : 'Nothing is running: nothing to pause.' };
    }
    case '/killswitch':
      return {
        reply: `This engages your kill switch: every deployment pauses, open orders are canceled and new orders are refused until you release it in the app. Reply /confirm within ${KILL_SWITCH_CONFIRM_MS / 1000} s to engage it.`,
        askedAt: new Date(now),
      };
    case '/confirm': {
      if (!askedAt || now - askedAt.getTime() > KILL_SWITCH_CONFIRM_MS)
        return { reply: `Nothing to confirm: send /killswitch first (a confirmation is valid for ${KILL_SWITCH_CONFIRM_MS / 1000} s).`, askedAt: null };
      const result = await engageKillSwitch(db, await actorOf(db, userId), { reason: 'engaged from Telegram' }, deps.deployments ?? {});
      return {
        reply: result.alreadyEngaged
          ? 'The kill switch was already engaged.'
          : `Kill switch engaged: ${result.pausedDeployments} deployment(s) paused, ${result.canceledOrders} order(s) canceled.`,
        askedAt: null,
      };
    }
    default:
      return { reply: 'Commands: /status, /pause, /killswitch (then /confirm).' };
  }
}

/** Takes the channel's poll for this worker (null: another worker holds it). */
async function leaseChannel(db: Db, channelId: string, workerId: string, now: number) {
  const rows = await queryRows<{ update_offset: string; kill_switch_asked_at: Date | string | null }>(
    db,
    `insert into telegram_command_states (channel_id, leased_by, lease_until, updated_at)
       values ($1::uuid, $2, $3::timestamptz, $4::timestamptz)
     on conflict (channel_id) do update set leased_by = excluded.leased_by, lease_until = excluded.lease_until, updated_at = excluded.updated_at
       where telegram_command_states.lease_until is null or telegram_command_states.lease_until < $4::timestamptz or telegram_command_states.leased_by = $2
     returning update_offset, kill_switch_asked_at`,
    [channelId, workerId, new Date(now + LEASE_MS).toISOString(), new Date(now).toISOString()],
  );
  const [row] = rows;
  if (!row) return null;
  return { offset: Number(row.update_offset), askedAt: row.kill_switch_asked_at === null ? null : new Date(row.kill_switch_asked_at) };
}

/**
 * One pass: every enabled Telegram channel whose poll this worker can lease gets its pending updates handled.
 * Never throws for one channel's failure (logged; the next pass retries from the stored offset).
 */
export async function pollTelegramCommands(db: Db, workerId: string, deps: TelegramCommandDeps = {}): Promise<PollResult> {
  const settings = settingsOf(deps);
  const clock = deps.now ?? Date.now;
  const timeoutMs = deps.timeoutMs ?? 10_000;
  const channels = await db
    .select()
    .from(notificationChannels)
    .where(and(eq(notificationChannels.type, 'telegram'), eq(notificationChannels.enabled, true)));
  const result: PollResult = { channels: 0, commands: 0, ignored: 0 };
  for (const channel of channels) {
    const lease = await leaseChannel(db, channel.id, workerId, clock());
    if (!lease) continue;
    result.channels++;
    try {
      const config = channelConfigOf(channel, deps);
      if (config.type !== 'telegram') continue;
      const answer = (await callBot(
        settings,
        config.botToken,
        'getUpdates',
        { offset: lease.offset, timeout: 0, allowed_updates: ['message'] },
        timeoutMs,
      )) as {
        ok?: boolean;
        result?: TelegramUpdate[];
      };
      let askedAt = lease.askedAt;
      for (const update of [...(answer.result ?? [])].sort((a, b) => a.update_id - b.update_id)) {
        if (!Number.isSafeInteger(update.update_id) || update.update_id < lease.offset) continue;
        const fromLinkedChat = String(update.message?.chat?.id ?? '') === String(config.chatId);
        const command = fromLinkedChat ? commandOf(update.message?.text) : null;
        let reply: string | null = null;
        if (command) {
          const ran = await runCommand(db, channel, command, askedAt, clock(), deps);
          reply = ran.reply;
          if (ran.askedAt !== undefined) askedAt = ran.askedAt;
          result.commands++;
        } else result.ignored++;
        // Past this update for good, under this worker's lease (a lost lease: stop, the next holder goes on).
        const moved = await db
          .update(telegramCommandStates)
          .set({ updateOffset: update.update_id + 1, killSwitchAskedAt: askedAt, updatedAt: new Date(clock()) })
          .where(and(eq(telegramCommandStates.channelId, channel.id), eq(telegramCommandStates.leasedBy, workerId)))
          .returning({ channelId: telegramCommandStates.channelId });
        if (moved.length === 0) break;
        if (reply !== null)
          await callBot(settings, config.botToken, 'sendMessage', { chat_id: config.chatId, text: reply, disable_web_page_preview: true }, timeoutMs).catch(
            (error: unknown) => logger.warn({ channelId: channel.id, err: (error as Error).message }, 'telegram command: the reply was not sent'),
          );
      }
    } catch (error) {
      // The token is in the URL: log the channel, never the error's URL.
      logger.warn({ channelId: channel.id, reason: (error as Error).message?.replace(/bot\d+:[\w-]+/g, 'bot…') }, 'telegram commands: poll failed');
    } finally {
      await db
        .update(telegramCommandStates)
        .set({ leasedBy: null, leaseUntil: null })
        .where(and(eq(telegramCommandStates.channelId, channel.id), eq(telegramCommandStates.leasedBy, workerId)));
    }
  }
  return result;
}
