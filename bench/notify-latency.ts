/**
 * Notifications, speed target of issue 17: event committed → webhook delivered to a local receiver, p95 ≤ 1 s.
 * A part of `npm run bench -- --only=signals` (bench/run.ts), also standalone:
 *
 *   npx tsx server/cli/with-test-db.ts tsx bench/notify-latency.ts [orders=200] [gapMs=25]
 *
 * In one process: a paper account with a webhook channel and a `fill` rule, the worker's delivery loop as the worker
 * runs it (woken by the events' NOTIFY, polling every second otherwise) and the fake receiver. `orders` manual paper
 * market orders, one every `gapMs`; each one's latency is from placeOrder's return (its transaction committed) to
 * the receiver getting the webhook that names it. Prints a JSON line with p50, p95, max and whether the target holds.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { logger } from '../server/logger';
import { createAccount } from '../server/services/accounts';
import { registerUser } from '../server/services/auth/users';
import { parseMasterKey } from '../server/services/crypto';
import { createChannel, createRule } from '../server/services/notifications';
import { placeOrder } from '../server/services/orders';
import { createDatabase } from '../db/client';
import { createTestDatabase } from '../server/testing/db';
import { NotifyReceivers } from '../server/testing/notify/receivers';
import { createNotificationDeliveryLoop } from '../server/worker/notification-delivery';
import { percentileOfSorted } from './lib/stats';

export const NOTIFY_TARGET_P95_MS = 1_000;
const TARGET_P95_MS = NOTIFY_TARGET_P95_MS;

export interface NotifyLatencyResult {
  bench: 'notify-latency';
  orders: number;
  gapMs: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  targetP95Ms: number;
  pass: boolean;
}

/** The measurement on a migrated database at `url` (left as it is: the caller drops it). */
export async function benchNotifyLatency(url: string, orders = 200, gapMs = 25): Promise<NotifyLatencyResult> {
  const key = parseMasterKey(randomBytes(32).toString('base64'));
  const t = createDatabase(url, { max: 5 });
  const receivers = await new NotifyReceivers().start();
  const settings = () => ({ telegramApiUrl: receivers.baseUrl, discordApiUrl: receivers.baseUrl, allowPrivateNetworks: true });
  const controller = new AbortController();
  let stop: (() => Promise<void>) | null = null;
  try {
    const userId = (await registerUser(t.db, { username: 'bench-notify', password: 'long enough pw' })).id;
    const accountId = (await createAccount(t.db, userId, { name: 'paper', exchange: 'paper', balances: { USDT: '100000000' } }, {}, { keys: [key] })).id;
    const channel = await createChannel(
      t.db,
      userId,
      { type: 'webhook', name: 'bench', url: `${receivers.baseUrl}/hook/bench`, secret: 'bench-secret-0123456789' },
      { keys: [key], settings },
    );
    await createRule(t.db, userId, { channelId: channel.id, kind: 'fill' });
    stop = await createNotificationDeliveryLoop({ deps: { keys: [key], settings } }).start({
      database: t,
      workerId: 'bench',
      logger,
      signal: controller.signal,
    });

    const prices = { latest: async () => ({ price: 100, timeMs: Date.now(), source: 'bench' }), candlesSince: async () => [] };
    const committedAt = new Map<string, number>();
    const latencies: number[] = [];
    const arrivals: Promise<void>[] = [];
    for (let i = 0; i < orders; i++) {
      const { order } = await placeOrder(
        t.db,
        userId,
        { accountId, symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: '0.01' },
        { prices: () => prices, keys: [key] },
      );
      const at = performance.now();
      committedAt.set(order.id, at);
      arrivals.push(
        receivers
          .waitFor((r) => (r.json.event as { orderId?: string } | undefined)?.orderId === order.id, 30_000)
          .then(() => void latencies.push(performance.now() - at)),
      );
      await new Promise((resolve) => setTimeout(resolve, gapMs));
    }
    await Promise.all(arrivals);
    const sorted = [...latencies].sort((a, b) => a - b);
    const p95 = percentileOfSorted(sorted, 95);
    return {
      bench: 'notify-latency',
      orders,
      gapMs,
      p50Ms: Math.round(percentileOfSorted(sorted, 50)),
      p95Ms: Math.round(p95),
      maxMs: Math.round(sorted[sorted.length - 1] ?? 0),
      targetP95Ms: TARGET_P95_MS,
      pass: p95 <= TARGET_P95_MS,
    };
  } finally {
    controller.abort();
    await stop?.();
    await receivers.close();
    await t.close();
  }
}

// Standalone: npx tsx server/cli/with-test-db.ts tsx bench/notify-latency.ts [orders] [gapMs]
if (import.meta.url === `file://${process.argv[1]}`) {
  const t = await createTestDatabase();
  try {
    console.log(JSON.stringify(await benchNotifyLatency(t.url, Number(process.argv[2] ?? 200), Number(process.argv[3] ?? 25))));
  } catch (error) {
    console.error(error);
    process.exitCode = 1;
  } finally {
    await t.destroy();
  }
}
