import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { logger } from '@/server/logger';
import { raiseAlert } from '@/server/services/alerts';
import { claimDeliveries, createChannel, createRule, DEFAULT_DELIVERY_POLICY, listDeliveries, type DeliveryPolicy } from '@/server/services/notifications';
import type { TestDatabase } from '@/server/testing/db';
import { NotifyDesk } from '@/server/testing/notify/desk';
import type { NotifyReceivers } from '@/server/testing/notify/receivers';
import { createNotificationDeliveryLoop } from './notification-delivery';

/** The delivery loop as the worker runs it: woken by events, and taking over what a dead worker claimed. */
const desk = new NotifyDesk();
const KEY = desk.key;
const policy: DeliveryPolicy = { ...DEFAULT_DELIVERY_POLICY, baseBackoffMs: 2_000, maxAttempts: 4 };

let t: TestDatabase;
let receivers: NotifyReceivers;
let userId: string;
const { deps, settings } = desk;
const buy = () => desk.buy();

beforeAll(async () => {
  ({ t, receivers, userId } = await desk.open('notify-loop'));
});
afterAll(() => desk.close());
beforeEach(async () => {
  await desk.reset(Date.now());
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
