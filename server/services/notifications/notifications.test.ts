import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { notificationChannels, notificationOutbox, notificationRules } from '@/db/schema';
import { parseMasterKey } from '@/server/services/crypto';
import { alertEvent, deploymentEvent, jobEvent, killSwitchEvent, notifyStatement, orderEvent } from '@/server/services/events';
import { createDeployment, pauseDeployment, stopDeployment } from '@/server/services/deployments/deployments';
import { placeOrder } from '@/server/services/orders';
import { rotateMasterKey } from '@/server/services/accounts/rotate';
import { codeOf } from '@/server/testing/errors';
import type { TestDatabase } from '@/server/testing/db';
import { NotifyDesk } from '@/server/testing/notify/desk';
import { NotifyReceivers, type ReceivedRequest } from '@/server/testing/notify/receivers';
import {
  createChannel,
  createRule,
  deliverDue,
  listChannels,
  listDeliveries,
  notificationKindOf,
  previewTemplate,
  pruneOutbox,
  queueDailySummaries,
  sendTestMessage,
  setTemplate,
  type DeliveryPolicy,
} from '.';
import { backoffMs, DEFAULT_DELIVERY_POLICY } from './delivery';
import { checkUrlAllowed, guardedLookup, isPrivateAddress } from './net-guard';
import { sendMessage, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './senders';
import { createDeployableStrategy } from '@/server/testing/strategies/deployable';

const desk = new NotifyDesk();
const KEY = desk.key;
const TELEGRAM_TOKEN = '123456789:AAFakeTelegramTokenForTests_abcdefgh';
const policy: DeliveryPolicy = { ...DEFAULT_DELIVERY_POLICY, baseBackoffMs: 2_000, maxAttempts: 4 };

let t: TestDatabase;
let receivers: NotifyReceivers;
let userId: string;
let accountId: string;
const { deps, orderDeps, settings } = desk;
const buy = () => desk.buy();

/** A receiver's check of a signed webhook: the signature over `${timestamp}.${body}` with the shared secret, and a fresh timestamp. */
function verifyAsReceiver(request: ReceivedRequest, secret: string, receivedAtMs: number): boolean {
  const timestamp = String(request.headers[TIMESTAMP_HEADER.toLowerCase()]);
  const signature = String(request.headers[SIGNATURE_HEADER.toLowerCase()]);
  if (Math.abs(receivedAtMs / 1000 - Number(timestamp)) > 300) return false;
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(`${timestamp}.${request.body}`).digest('hex')}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function outboxOf(channelId: string) {
  return t.db.select().from(notificationOutbox).where(eq(notificationOutbox.channelId, channelId)).orderBy(notificationOutbox.createdAt);
}

beforeAll(async () => {
  ({ t, receivers, userId, accountId } = await desk.open('notify-user'));
});
afterAll(() => desk.close());
beforeEach(async () => {
  // Ahead of the database's clock, so the rows the test writes (stamped by now()) are due at `desk.now`.
  await desk.reset(Date.now() + 5_000);
});

describe('channels', () => {
  it('stores every secret encrypted and returns only a hint', async () => {
    const telegram = await createChannel(t.db, userId, { type: 'telegram', name: 'tg', botToken: TELEGRAM_TOKEN, chatId: '-100123' }, deps);
    const webhook = await createChannel(
      t.db,
      userId,
      { type: 'webhook', name: 'hook', url: `${receivers.baseUrl}/hook/a`, secret: 'a-shared-secret-of-enough-length' },
      deps,
    );
    const discord = await createChannel(
      t.db,
      userId,
      { type: 'discord', name: 'dc', webhookUrl: 'https://discord.com/api/webhooks/112233445566/DiscordFakeTokenForTests-xyz0123' },
      deps,
    );
    const stored = JSON.stringify(await t.db.select().from(notificationChannels));
    for (const secret of [TELEGRAM_TOKEN, 'a-shared-secret-of-enough-length', 'DiscordFakeTokenForTests-xyz0123', '/hook/a'])
      expect(stored.includes(secret), `the stored rows must not hold ${secret} in the clear`).toBe(false);
    const listed = JSON.stringify(await listChannels(t.db, userId));
    expect(listed).not.toContain(TELEGRAM_TOKEN);
    expect(listed).not.toContain('DiscordFakeTokenForTests');
    expect(telegram.targetHint).toBe('chat -100123 · bot …efgh');
    expect(webhook.signingSecret, 'a secret the user chose is not echoed').toBeNull();
    expect(discord.targetHint).toBe('Discord webhook …5566');
    const generated = await createChannel(t.db, userId, { type: 'webhook', name: 'hook2', url: `${receivers.baseUrl}/hook/b` }, deps);
    expect(generated.signingSecret, 'a generated secret is shown once').toMatch(/^whsec_/);
  });

  it('moves to a new master key with the exchange credentials (keys:rotate-master), and still sends', async () => {
    const channel = await createChannel(
      t.db,
      userId,
      { type: 'webhook', name: 'hook', url: `${receivers.baseUrl}/hook/rotated`, secret: 'receiver-shared-secret-0123456789' },
      deps,
    );
    const newKey = parseMasterKey(randomBytes(32).toString('base64'));
    const result = await rotateMasterKey(t.db, [KEY], newKey);
    expect(result.notificationChannels).toBe(1);
    const [row] = await t.db.select().from(notificationChannels).where(eq(notificationChannels.id, channel.id));
    expect(row!.configKeyVersion).toBe(newKey.version);
    expect(await sendTestMessage(t.db, userId, channel.id, { ...deps, keys: [KEY] }), 'the old key alone no longer opens it').toMatchObject({
      ok: false,
      error: expect.stringMatching(/cannot be decrypted/),
    });
    expect(await sendTestMessage(t.db, userId, channel.id, { ...deps, keys: [newKey] })).toMatchObject({ ok: true });
  });

  it('refuses bad input with a 422 naming the field', async () => {
    const bad = [
      [{ type: 'telegram', name: 'x', botToken: 'nope', chatId: '1' }, 'botToken'],
      [{ type: 'telegram', name: 'x', botToken: TELEGRAM_TOKEN, chatId: 'abc def' }, 'chatId'],
      [{ type: 'discord', name: 'x', webhookUrl: 'https://evil.example/api/webhooks/1/2' }, 'webhookUrl'],
      [{ type: 'webhook', name: 'x', url: 'not a url' }, 'url'],
      [{ type: 'webhook', name: 'x', url: 'https://u:p@example.com/' }, 'url'],
      [{ type: 'webhook', name: 'x', url: 'https://example.com/', secret: 'short' }, 'secret'],
    ] as const;
    for (const [input, field] of bad) {
      const error = await createChannel(t.db, userId, input as never, deps).catch((e: unknown) => e);
      expect(await codeOf(Promise.reject(error)), JSON.stringify(input)).toBe('UNPROCESSABLE');
      expect(JSON.stringify(error), JSON.stringify(input)).toContain(field);
    }
  });
});

describe('outbox and delivery', () => {
  it('a paper fill queues a signed webhook delivery in its own transaction, and the worker delivers it', async () => {
    const secret = 'receiver-shared-secret-0123456789';
    const channel = await createChannel(t.db, userId, { type: 'webhook', name: 'hook', url: `${receivers.baseUrl}/hook/fills`, secret }, deps);
    await createRule(t.db, userId, { channelId: channel.id, kind: 'fill' });
    const orderId = await buy();
    const [row] = await outboxOf(channel.id);
    expect(row, 'the fill committed with its outbox row').toBeDefined();
    expect(row!.kind).toBe('fill');
    expect(row!.event).toMatchObject({ kind: 'order', orderId, status: 'filled' });

    const pass = await deliverDue(t.db, 'worker-a', { nowMs: () => desk.now, deps, policy });
    expect(pass).toMatchObject({ claimed: 1, delivered: 1 });
    const request = await receivers.waitFor((r) => r.path === '/hook/fills');
    expect(verifyAsReceiver(request, secret, desk.now), 'the receiver verifies the HMAC over timestamp.body').toBe(true);
    expect(verifyAsReceiver(request, 'another secret entirely', desk.now), 'a wrong secret does not verify').toBe(false);
    expect(request.headers['idempotency-key']).toBe(row!.id);
    expect(request.json).toMatchObject({ id: row!.id, kind: 'fill', event: { orderId } });
    expect(String(request.json.text)).toContain('buy 0.5 BTC/USDT');
    const [delivery] = await listDeliveries(t.db, userId);
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 1, channelName: 'hook' });
  });

  it('writes nothing when the user has no rule for the event, and events that are never notifications add no SQL', async () => {
    const channel = await createChannel(
      t.db,
      userId,
      { type: 'webhook', name: 'hook', url: `${receivers.baseUrl}/hook/x`, secret: 'receiver-shared-secret-0123456789' },
      deps,
    );
    await createRule(t.db, userId, { channelId: channel.id, kind: 'kill_switch' });
    await buy();
    expect(await outboxOf(channel.id)).toHaveLength(0);
    const progress = notifyStatement([deploymentEvent({ userId, deploymentId: crypto.randomUUID(), state: 'running', lastBarTime: 1 })]);
    expect(progress.text, 'a tick progress event is only a NOTIFY').toBe('select pg_notify($1, $2)');
    const fill = notifyStatement([orderEvent({ userId, orderId: crypto.randomUUID(), status: 'filled', deploymentId: null })]);
    expect(fill.text).toContain('insert into notification_outbox');
  });

  it('retries with exponential backoff and the same idempotency key, then delivers; a permanent refusal is dead at once', async () => {
    const channel = await createChannel(
      t.db,
      userId,
      { type: 'webhook', name: 'hook', url: `${receivers.baseUrl}/hook/retry`, secret: 'receiver-shared-secret-0123456789' },
      deps,
    );
    await createRule(t.db, userId, { channelId: channel.id, kind: 'fill' });
    await buy();
    receivers.respondWith({ status: 500, body: { message: 'down' } }, { status: 503 });

    expect(await deliverDue(t.db, 'w', { nowMs: () => desk.now, deps, policy })).toMatchObject({ claimed: 1, retrying: 1 });
    let [row] = await outboxOf(channel.id);
    expect(row!.nextAttemptAt.getTime() - desk.now).toBe(backoffMs(1, policy));
    expect((await listDeliveries(t.db, userId))[0]).toMatchObject({ status: 'retrying', lastError: 'HTTP 500: down', lastHttpStatus: 500 });
    expect(await deliverDue(t.db, 'w', { nowMs: () => desk.now + 1_000, deps, policy }), 'not before its backoff').toMatchObject({ claimed: 0 });

    desk.now += backoffMs(1, policy);
    expect(await deliverDue(t.db, 'w', { nowMs: () => desk.now, deps, policy })).toMatchObject({ retrying: 1 });
    [row] = await outboxOf(channel.id);
    expect(row!.nextAttemptAt.getTime() - desk.now, 'the wait doubles').toBe(2 * backoffMs(1, policy));

    desk.now += backoffMs(2, policy);
    expect(await deliverDue(t.db, 'w', { nowMs: () => desk.now, deps, policy })).toMatchObject({ delivered: 1 });
    const keys = receivers.requests.filter((r) => r.path === '/hook/retry').map((r) => r.headers['idempotency-key']);
    expect(keys).toEqual([row!.id, row!.id, row!.id]);

    await buy();
    receivers.respondWith({ status: 410, body: { message: 'gone' } });
    desk.now += 10_000;
    expect(await deliverDue(t.db, 'w', { nowMs: () => desk.now, deps, policy })).toMatchObject({ dead: 1 });
    expect((await listDeliveries(t.db, userId))[0]).toMatchObject({ status: 'dead', lastError: 'HTTP 410: gone' });
  });

  it('gives up after maxAttempts (a dead letter, visible in the list)', async () => {
    const channel = await createChannel(
      t.db,
      userId,
      { type: 'webhook', name: 'hook', url: `${receivers.baseUrl}/hook/dead`, secret: 'receiver-shared-secret-0123456789' },
      deps,
    );
    await createRule(t.db, userId, { channelId: channel.id, kind: 'fill' });
    await buy();
    for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
      receivers.respondWith({ status: 502 });
      const pass = await deliverDue(t.db, 'w', { nowMs: () => desk.now, deps, policy });
      expect(pass.claimed, `attempt ${attempt}`).toBe(1);
      desk.now += backoffMs(attempt, policy);
    }
    expect((await listDeliveries(t.db, userId))[0]).toMatchObject({ status: 'dead', attempts: policy.maxAttempts });
    expect(await deliverDue(t.db, 'w', { nowMs: () => desk.now + 86_400_000, deps, policy })).toMatchObject({ claimed: 0 });
  });

  it('spaces messages to one Telegram chat (rate limit) and honours retry_after', async () => {
    const channel = await createChannel(t.db, userId, { type: 'telegram', name: 'tg', botToken: TELEGRAM_TOKEN, chatId: '-100123' }, deps);
    await createRule(t.db, userId, { channelId: channel.id, kind: 'fill' });
    await buy();
    await buy();
    await buy();
    expect(await deliverDue(t.db, 'w', { nowMs: () => desk.now, deps, policy })).toMatchObject({ delivered: 1 });
    expect(await deliverDue(t.db, 'w', { nowMs: () => desk.now + 500, deps, policy }), 'one message a second per chat').toMatchObject({ claimed: 0 });
    receivers.respondWith({
      status: 429,
      body: { ok: false, error_code: 429, description: 'Too Many Requests: retry after 7', parameters: { retry_after: 7 } },
    });
    expect(await deliverDue(t.db, 'w', { nowMs: () => desk.now + 1_000, deps, policy })).toMatchObject({ retrying: 1 });
    expect(await deliverDue(t.db, 'w', { nowMs: () => desk.now + 7_000, deps, policy }), 'the chat waits retry_after').toMatchObject({ claimed: 0 });
    expect(await deliverDue(t.db, 'w', { nowMs: () => desk.now + 8_000, deps, policy })).toMatchObject({ delivered: 1 });
    const sent = receivers.requests.filter((r) => r.service === 'telegram');
    expect(sent[0]!.path).toBe(`/bot${TELEGRAM_TOKEN}/sendMessage`);
    expect(sent[0]!.json).toMatchObject({ chat_id: '-100123' });
    expect(String(sent[0]!.json.text)).toContain('BTC/USDT');
  });

  it('rules for one deployment match only its events; a global and a per-deployment rule make one message per channel', async () => {
    const deploy = async (name: string) => {
      const strategy = await createDeployableStrategy(t.db, userId, {
        name,
        type: 'dca',
        params: { intervalBars: 1, amountPerBuy: 10 },
        exchange: 'binance',
        symbol: 'BTC/USDT',
        timeframe: '1m',
      });
      return createDeployment(t.db, userId, strategy.id, { accountId, mode: 'paper', feed: { type: 'simulated' } });
    };
    const first = await deploy('first dca');
    const both = await createChannel(
      t.db,
      userId,
      { type: 'webhook', name: 'both', url: `${receivers.baseUrl}/hook/both`, secret: 'receiver-shared-secret-0123456789' },
      deps,
    );
    const other = await createChannel(
      t.db,
      userId,
      { type: 'webhook', name: 'other', url: `${receivers.baseUrl}/hook/other`, secret: 'receiver-shared-secret-0123456789' },
      deps,
    );
    await createRule(t.db, userId, { channelId: both.id, kind: 'deployment_state' });
    const second = await deploy('notify dca');
    await createRule(t.db, userId, { channelId: both.id, kind: 'deployment_state', deploymentId: second.id });
    await createRule(t.db, userId, { channelId: other.id, kind: 'deployment_state', deploymentId: first.id });
    await pauseDeployment(t.db, userId, second.id);
    const rows = await outboxOf(both.id);
    expect(
      rows.map((r) => r.event),
      'the start and the pause of the second, each once',
    ).toEqual([expect.objectContaining({ deploymentId: second.id, state: 'running' }), expect.objectContaining({ deploymentId: second.id, state: 'paused' })]);
    expect(await outboxOf(other.id), 'a rule for the first deployment ignores the second').toHaveLength(0);
    await deliverDue(t.db, 'w', { nowMs: () => desk.now, deps, policy });
    await deliverDue(t.db, 'w', { nowMs: () => desk.now, deps, policy });
    const request = await receivers.waitFor((r) => r.path === '/hook/both' && String(r.json.text).includes('paused'));
    expect(request.json.text).toBe('Deployment notify dca BTC/USDT 1m is now paused');
    // A stop announces itself at its commit, then again when its orders are canceled (a follow-up): one message.
    await stopDeployment(t.db, userId, second.id, {}, deps);
    expect(
      (await outboxOf(both.id)).map((r) => (r.event as { state: string }).state),
      'start, pause, stop: the stop once',
    ).toEqual(['running', 'paused', 'stopped']);
  });

  it('order rejections reach Discord with the user’s template', async () => {
    const channel = await createChannel(
      t.db,
      userId,
      { type: 'discord', name: 'dc', webhookUrl: 'https://discord.com/api/webhooks/112233445566/DiscordFakeTokenForTests-xyz0123' },
      deps,
    );
    await createRule(t.db, userId, { channelId: channel.id, kind: 'order_rejected' });
    await setTemplate(t.db, userId, { kind: 'order_rejected', body: 'NO: {{side}} {{symbol}} because {{reason}}' });
    await expect(setTemplate(t.db, userId, { kind: 'fill', body: 'x {{nope}}' })).rejects.toMatchObject({ code: 'UNPROCESSABLE' });
    // A rejected order: more than the account holds.
    await placeOrder(t.db, userId, { accountId, symbol: 'BTC/USDT', side: 'sell', type: 'market', quantity: '1000' }, orderDeps).catch(() => null);
    const rows = await outboxOf(channel.id);
    expect(rows.length, 'rejections reach the channel').toBeGreaterThan(0);
    await deliverDue(t.db, 'w', { nowMs: () => desk.now, deps, policy });
    const request = await receivers.waitFor((r) => r.service === 'discord');
    expect(request.path).toBe('/api/webhooks/112233445566/DiscordFakeTokenForTests-xyz0123');
    expect(String(request.json.content)).toMatch(/^NO: sell BTC\/USDT because /);
    expect(request.json.allowed_mentions, 'never pings anyone').toEqual({ parse: [] });
    expect(previewTemplate({ kind: 'fill', body: '{{side}} {{symbol}} {{oops}}' })).toEqual({ text: 'buy BTC/USDT {{oops}}', unknownPlaceholders: ['oops'] });
  });

  it('"send test" sends now and logs the delivery', async () => {
    const channel = await createChannel(
      t.db,
      userId,
      { type: 'webhook', name: 'hook', url: `${receivers.baseUrl}/hook/test`, secret: 'receiver-shared-secret-0123456789' },
      deps,
    );
    const result = await sendTestMessage(t.db, userId, channel.id, deps);
    expect(result).toMatchObject({ ok: true, httpStatus: 200, error: null });
    const request = await receivers.waitFor((r) => r.path === '/hook/test');
    expect(request.json.kind).toBe('test');
    expect((await listDeliveries(t.db, userId))[0]).toMatchObject({ id: result.deliveryId, status: 'delivered', kind: 'test' });
    const rules = await t.db.select().from(notificationRules);
    expect(rules).toHaveLength(0);
  });
});

describe('which events are notifications', () => {
  const user = crypto.randomUUID();
  it('maps each AppEvent kind through one function', () => {
    expect(notificationKindOf(orderEvent({ userId: user, orderId: 'o', status: 'filled', deploymentId: null }))).toBe('fill');
    expect(notificationKindOf(orderEvent({ userId: user, orderId: 'o', status: 'partially_filled', deploymentId: null }))).toBe('fill');
    expect(notificationKindOf(orderEvent({ userId: user, orderId: 'o', status: 'rejected', deploymentId: null }))).toBe('order_rejected');
    expect(notificationKindOf(orderEvent({ userId: user, orderId: 'o', status: 'open', deploymentId: null }))).toBeNull();
    expect(notificationKindOf(deploymentEvent({ userId: user, deploymentId: 'd', state: 'paused' }))).toBe('deployment_state');
    expect(notificationKindOf(deploymentEvent({ userId: user, deploymentId: 'd', state: 'running', lastBarTime: null })), 'a tick, not a change').toBeNull();
    expect(notificationKindOf(killSwitchEvent({ userId: user, engaged: true, scope: 'user' }))).toBe('kill_switch');
    expect(notificationKindOf(alertEvent({ userId: user, alertId: 1, severity: 'critical', alertKind: 'circuit_breaker' }))).toBe('circuit_breaker');
    expect(notificationKindOf(alertEvent({ userId: user, alertId: 1, severity: 'warning', alertKind: 'reconciliation' }))).toBe('reconciliation');
    expect(notificationKindOf(alertEvent({ userId: user, alertId: 1, severity: 'warning', alertKind: 'risk_rejected' }))).toBe('order_rejected');
    expect(
      notificationKindOf(alertEvent({ userId: user, alertId: 1, severity: 'warning', alertKind: 'kill_switch' })),
      'the kill_switch event carries it',
    ).toBeNull();
    expect(notificationKindOf(jobEvent({ userId: user, jobId: 'j', status: 'running', progress: 0 }))).toBeNull();
  });
});

describe('daily summary', () => {
  it('is queued once per channel and day, and counts the day', async () => {
    const channel = await createChannel(
      t.db,
      userId,
      { type: 'webhook', name: 'hook', url: `${receivers.baseUrl}/hook/daily`, secret: 'receiver-shared-secret-0123456789' },
      deps,
    );
    await createRule(t.db, userId, { channelId: channel.id, kind: 'daily_summary' });
    const tomorrow = Date.now() + 86_400_000;
    expect(await queueDailySummaries(t.db, tomorrow)).toBe(1);
    expect(await queueDailySummaries(t.db, tomorrow), 'the same day again: nothing').toBe(0);
    await deliverDue(t.db, 'w', { nowMs: () => desk.now, deps, policy });
    const request = await receivers.waitFor((r) => r.path === '/hook/daily');
    const today = new Date().toISOString().slice(0, 10);
    expect(await pruneOutbox(t.db, Date.now() + 31 * 86_400_000), 'a month later the delivered row is forgotten').toBeGreaterThanOrEqual(1);
    expect(await outboxOf(channel.id)).toHaveLength(0);
    expect(String(request.json.text)).toMatch(new RegExp(`^Daily summary ${today}: [1-9]\\d* fills, `));
  });
});

describe('SSRF guard', () => {
  it('knows the private, loopback and link-local ranges', () => {
    for (const address of [
      '127.0.0.1',
      '127.9.9.9',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '0.0.0.0',
      '::1',
      'fc00::1',
      'fd12::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      '::',
    ])
      expect(isPrivateAddress(address), address).toBe(true);
    for (const address of ['8.8.8.8', '172.32.0.1', '93.184.216.34', '2606:4700::1111', '::ffff:8.8.8.8'])
      expect(isPrivateAddress(address), address).toBe(false);
  });

  it('refuses literal private addresses, http and localhost unless private networks are allowed', () => {
    for (const url of ['https://127.0.0.1/x', 'https://[::1]/x', 'https://10.0.0.8/x', 'http://example.com/x', 'https://localhost/x', 'file:///etc/passwd'])
      expect(() => checkUrlAllowed(new URL(url), false), url).toThrow();
    expect(() => checkUrlAllowed(new URL('https://hooks.example.com/x'), false)).not.toThrow();
    expect(() => checkUrlAllowed(new URL('http://127.0.0.1:9/x'), true)).not.toThrow();
  });

  it('checks every address a name resolves to, at connect time', async () => {
    const resolveTo = (...addresses: string[]) =>
      ((_host: string, _options: unknown, callback: (e: null, a: Array<{ address: string; family: number }>) => void) =>
        callback(
          null,
          addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
        )) as never;
    const lookup = (resolve: never) =>
      new Promise<{ error: Error | null; address: string }>((done) =>
        guardedLookup(resolve)('hooks.example.com', {}, (error, address) => done({ error, address: address as string })),
      );
    expect((await lookup(resolveTo('93.184.216.34'))).address).toBe('93.184.216.34');
    expect((await lookup(resolveTo('93.184.216.34', '10.0.0.1'))).error?.message, 'one private address is enough to refuse').toMatch(/private or loopback/);
    expect((await lookup(resolveTo('::1'))).error).toBeTruthy();

    // The whole sender: a webhook whose name resolves to loopback is refused for good, and nothing is sent.
    const outcome = await sendMessage(
      { type: 'webhook', url: `https://rebind.example.com:${new URL(receivers.baseUrl).port}/hook/ssrf`, secret: 's' },
      { id: 'x', kind: 'test', text: 't', event: {}, createdAt: new Date().toISOString() },
      { ...settings(), allowPrivateNetworks: false },
      { resolve: resolveTo('127.0.0.1') },
    );
    expect(outcome).toMatchObject({ ok: false, permanent: true });
    expect(outcome.error).toMatch(/private or loopback/);
    expect(receivers.requests.some((r) => r.path === '/hook/ssrf')).toBe(false);
  });

  it('a channel to a private address is refused when it is added, unless allowed', async () => {
    const strict = { ...deps, settings: () => ({ ...settings(), allowPrivateNetworks: false }) };
    const error = await createChannel(t.db, userId, { type: 'webhook', name: 'lan', url: 'https://192.168.1.20/hook' }, strict).catch((e: unknown) => e);
    expect(await codeOf(Promise.reject(error))).toBe('UNPROCESSABLE');
    expect(JSON.stringify(error)).toContain('url');
  });
});
