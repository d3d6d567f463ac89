/**
 * Telegram commands against the local fake Bot API: /status, /pause and /killswitch + /confirm from the linked chat
 * run once and are answered in it; another chat is ignored; the stored offset means a restarted worker (a new
 * worker id, the same updates still served by Telegram) never runs a command twice.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { killSwitches, telegramCommandStates } from '@/db/schema';
import { logger } from '@/server/logger';
import { createDeployment, getDeployment } from '@/server/services/deployments';
import { releaseKillSwitch } from '@/server/services/kill-switch/kill-switch';
import { createChannel } from '@/server/services/notifications';
import { commandOf, KILL_SWITCH_CONFIRM_MS, pollTelegramCommands } from '@/server/services/notifications/telegram-commands';
import { createStrategyForUser } from '@/server/services/strategies/strategies';
import { NotifyDesk } from '@/server/testing/notify/desk';
import { createTelegramCommandLoop } from './telegram-commands';

const desk = new NotifyDesk();
const TOKEN = '123456:telegram-commands-token';
const CHAT = 4242;
const STRANGER = 999;

beforeAll(async () => {
  await desk.open('telegram-commands');
});
afterAll(() => desk.close());
beforeEach(async () => {
  await desk.reset(Date.now());
  await desk.t.db.delete(killSwitches);
});

async function linkedChannel() {
  return createChannel(desk.t.db, desk.userId, { type: 'telegram', name: 'phone', botToken: TOKEN, chatId: String(CHAT) }, desk.deps);
}

let seq = 0;
async function runningDeployment() {
  seq++;
  const strategy = await createStrategyForUser(desk.t.db, desk.userId, {
    name: `tg ${seq}`,
    type: 'signal',
    exchange: 'binance',
    symbol: 'BTC/USDT',
    timeframe: '1h',
  });
  return createDeployment(desk.t.db, desk.userId, strategy.id, { accountId: desk.accountId, mode: 'paper', capitalQuote: '1000' }, { now: () => desk.now });
}

const poll = (workerId = 'worker-a') => pollTelegramCommands(desk.t.db, workerId, { ...desk.deps, timeoutMs: 2_000 });
const replies = () => desk.receivers.requests.filter((r) => r.service === 'telegram').map((r) => ({ chat: r.json.chat_id, text: String(r.json.text) }));

describe('telegram commands', () => {
  it('parses commands as Telegram sends them', () => {
    expect(commandOf('/status')).toBe('/status');
    expect(commandOf(' /Pause@CryptobotBot now')).toBe('/pause');
    expect(commandOf('hello /status')).toBeNull();
    expect(commandOf(undefined)).toBeNull();
  });

  it('/status and /pause from the linked chat run once and answer there; another chat is ignored; a restart runs nothing again', async () => {
    await linkedChannel();
    const d = await runningDeployment();
    desk.receivers.pushTelegramMessage(TOKEN, STRANGER, '/pause');
    desk.receivers.pushTelegramMessage(TOKEN, CHAT, '/status');
    const first = await poll();
    expect(first).toMatchObject({ commands: 1, ignored: 1 });
    expect((await getDeployment(desk.t.db, desk.userId, d.id)).state, "a stranger's /pause did nothing").toBe('running');
    let sent = replies();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.chat, 'answered in the linked chat').toBe(String(CHAT));
    expect(sent[0]!.text).toMatch(/^Kill switch: off\n/);
    expect(sent[0]!.text).toMatch(/BTC\/USDT \(paper\): running, equity 1000 USDT/);

    desk.receivers.pushTelegramMessage(TOKEN, CHAT, '/pause');
    expect((await poll()).commands).toBe(1);
    const paused = await getDeployment(desk.t.db, desk.userId, d.id);
    expect(paused.state).toBe('paused');
    expect(paused.stateReason).toBe('paused from Telegram');
    sent = replies();
    expect(sent.at(-1)!.text).toMatch(/^Paused 1: /);

    // The fake keeps serving every update (as Telegram does until an offset confirms them): a new worker reads the
    // stored offset and runs nothing again.
    const before = replies().length;
    const again = await poll('worker-b');
    expect(again.commands + again.ignored, 'every update was already handled').toBe(0);
    expect(replies().length).toBe(before);
    const [state] = await desk.t.db.select().from(telegramCommandStates);
    expect(state!.updateOffset).toBeGreaterThan(700_000_000);
    expect(state!.leasedBy, 'the lease is given back after a pass').toBeNull();
  });

  it('/killswitch asks for a confirmation; /confirm within the window engages the kill switch, a late or stray one does not', async () => {
    await linkedChannel();
    const d = await runningDeployment();
    desk.receivers.pushTelegramMessage(TOKEN, CHAT, '/confirm');
    await poll();
    expect(replies().at(-1)!.text, 'nothing asked yet').toMatch(/^Nothing to confirm/);

    desk.receivers.pushTelegramMessage(TOKEN, CHAT, '/killswitch');
    await poll();
    expect(replies().at(-1)!.text).toMatch(/Reply \/confirm within 60 s/);
    expect(await desk.t.db.$count(killSwitches), 'not engaged by the request alone').toBe(0);

    // Too late: the confirmation window has passed.
    desk.now += KILL_SWITCH_CONFIRM_MS + 1;
    desk.receivers.pushTelegramMessage(TOKEN, CHAT, '/confirm');
    await poll();
    expect(replies().at(-1)!.text).toMatch(/^Nothing to confirm/);
    expect(await desk.t.db.$count(killSwitches)).toBe(0);

    desk.receivers.pushTelegramMessage(TOKEN, CHAT, '/killswitch');
    desk.receivers.pushTelegramMessage(TOKEN, STRANGER, '/confirm');
    await poll();
    expect(await desk.t.db.$count(killSwitches), "a stranger's /confirm is ignored").toBe(0);
    desk.now += 5_000;
    desk.receivers.pushTelegramMessage(TOKEN, CHAT, '/confirm');
    await poll();
    expect(replies().at(-1)!.text).toMatch(/^Kill switch engaged: 1 deployment\(s\) paused/);
    expect(await desk.t.db.$count(killSwitches)).toBe(1);
    expect((await getDeployment(desk.t.db, desk.userId, d.id)).state).toBe('paused');

    desk.receivers.pushTelegramMessage(TOKEN, CHAT, '/status');
    await poll();
    expect(replies().at(-1)!.text).toMatch(/^Kill switch: ENGAGED \(engaged from Telegram\)/);
    await releaseKillSwitch(desk.t.db, { id: desk.userId, role: 'user' });
  });

  it('the worker loop polls on its interval and answers', async () => {
    await linkedChannel();
    const stop = await createTelegramCommandLoop({ intervalMs: 100, deps: desk.deps }).start({
      database: desk.t,
      workerId: 'loop-worker',
      logger,
      signal: new AbortController().signal,
    });
    try {
      desk.receivers.pushTelegramMessage(TOKEN, CHAT, '/status');
      const reply = await desk.receivers.waitFor((r) => r.service === 'telegram');
      expect(String(reply.json.text)).toMatch(/^Kill switch: off/);
    } finally {
      await stop();
    }
  });
});
