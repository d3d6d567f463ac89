import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { notificationChannels } from '@/db/schema';
import type { NotifySettings } from '@/server/env';
import { logger } from '@/server/logger';
import { createAccount } from '@/server/services/accounts';
import { raiseAlert } from '@/server/services/alerts';
import { registerUser } from '@/server/services/auth/users';
import { parseMasterKey } from '@/server/services/crypto';
import {
  claimDeliveries,
  createChannel,
  createRule,
  DEFAULT_DELIVERY_POLICY,
  listDeliveries,
  type DeliveryPolicy,
  type NotificationDeps,
} from '@/server/services/notifications';
import { placeOrder, type OrderDeps } from '@/server/services/orders';
import type { PaperPriceSource } from '@/server/services/orders/price-source';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { NotifyReceivers } from '@/server/testing/notify/receivers';
import { createNotificationDeliveryLoop } from './notification-delivery';

/** The delivery loop as the worker runs it: woken by events, and taking over what a dead worker claimed. */
const KEY = parseMasterKey(randomBytes(32).toString('base64'));

let t: TestDatabase;
let receivers: NotifyReceivers;
let userId: string;
let accountId: string;
let now = Date.now();

const settings = (): NotifySettings => ({ telegramApiUrl: receivers.baseUrl, discordApiUrl: receivers.baseUrl, allowPrivateNetworks: true });
const deps: NotificationDeps = { keys: [KEY], settings, now: () => now };
const feed: PaperPriceSource = { latest: async () => ({ price: 100, timeMs: now, source: 'test feed' }), candlesSince: async () => [] };
const orderDeps: OrderDeps = { prices: () => feed, clock: () => now, keys: [KEY] };
const policy: DeliveryPolicy = { ...DEFAULT_DELIVERY_POLICY, baseBackoffMs: 2_000, maxAttempts: 4 };

async function buy(): Promise<string> {
  const { order } = await placeOrder(t.db, userId, { accountId, symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: '0.5' }, orderDeps);
  return order.id;
}

beforeAll(async () => {
  t = await createTestDatabase();
  receivers = await new NotifyReceivers().start();
  userId = (await registerUser(t.db, { username: 'notify-loop', password: 'long enough pw' })).id;
  accountId = (
    await createAccount(t.db, userId, { name: 'paper', exchange: 'paper', balances: { USDT: '1000000' }, feeRate: '0.001', slippage: '0' }, {}, { keys: [KEY] })
  ).id;
});
afterAll(async () => {
  await receivers?.close();
  await t?.destroy();
});
beforeEach(async () => {
  now = Date.now();
  receivers.reset();
  await t.db.delete(notificationChannels);
});

describe('notification delivery loop', () => {
  it('a worker that dies between claiming and recording: another sends it after the lease, with the same key', async () => {
    const channel = await createChannel(
      t.db,
      userId,
      { type: 'webhook', name: 'hook', url: `${receivers.baseUrl}/hook/crash`, secret: 'receiver-shared-secret-0123456789' },
      deps,
    );
    await createRule(t.db, userId, { channelId: channel.id, kind: 'fill' });
    await buy();
    // Worker A claims the row, then "dies": it never sends nor records.
    const shortLease = { ...policy, leaseMs: 1 };
    const claimedAt = Date.now();
    const [claimed] = await claimDeliveries(t.db, 'worker-a', { nowMs: claimedAt, policy: shortLease });
    expect(claimed, 'worker A held the row').toBeDefined();
    expect(await claimDeliveries(t.db, 'worker-c', { nowMs: claimedAt, policy }), 'nobody takes a leased row').toHaveLength(0);
    // Worker B: the real loop, with the real clock; A's lease has long run out.
    const controller = new AbortController();
    const stop = await createNotificationDeliveryLoop({ deps: { keys: [KEY], settings }, policy, pollMs: 100 }).start({
      database: t,
      workerId: 'worker-b',
      logger,
      signal: controller.signal,
    });
    try {
      const request = await receivers.waitFor((r) => r.path === '/hook/crash');
      expect(request.headers['idempotency-key'], 'the same key as the claim worker A lost').toBe(claimed!.id);
      await expect.poll(async () => (await listDeliveries(t.db, userId))[0]?.status).toBe('delivered');
    } finally {
      controller.abort();
      await stop();
    }
  });

  it('the loop delivers an event committed while it runs, woken by the event', async () => {
    const channel = await createChannel(
      t.db,
      userId,
      { type: 'webhook', name: 'hook', url: `${receivers.baseUrl}/hook/live`, secret: 'receiver-shared-secret-0123456789' },
      deps,
    );
    await createRule(t.db, userId, { channelId: channel.id, kind: 'circuit_breaker' });
    const controller = new AbortController();
    const stop = await createNotificationDeliveryLoop({ deps: { keys: [KEY], settings }, policy, pollMs: 60_000 }).start({
      database: t,
      workerId: 'worker-live',
      logger,
      signal: controller.signal,
    });
    try {
      await raiseAlert(t.db, { userId, kind: 'circuit_breaker', severity: 'critical', message: 'daily loss limit reached' });
      const request = await receivers.waitFor((r) => r.path === '/hook/live');
      expect(request.json.text).toBe('Circuit breaker: daily loss limit reached');
    } finally {
      controller.abort();
      await stop();
    }
  });
});
