/**
 * The notification tests' common ground: a fresh database, the local fake receivers, a user with a funded paper
 * account, and the notification and order dependencies on a clock the test sets (`desk.now`).
 */
import { randomBytes } from 'node:crypto';
import { notificationChannels } from '@/db/schema';
import type { NotifySettings } from '@/server/env';
import { createAccount } from '@/server/services/accounts';
import { registerUser } from '@/server/services/auth/users';
import { parseMasterKey } from '@/server/services/crypto';
import type { NotificationDeps } from '@/server/services/notifications';
import { placeOrder, type OrderDeps } from '@/server/services/orders';
import type { PaperPriceSource } from '@/server/services/orders/price-source';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { NotifyReceivers } from './receivers';

export class NotifyDesk {
  readonly key = parseMasterKey(randomBytes(32).toString('base64'));
  /** The clock of the notification and order dependencies (ms). */
  now = Date.now();
  t!: TestDatabase;
  receivers!: NotifyReceivers;
  userId!: string;
  accountId!: string;

  readonly settings = (): NotifySettings => ({ telegramApiUrl: this.receivers.baseUrl, discordApiUrl: this.receivers.baseUrl, allowPrivateNetworks: true });
  readonly deps: NotificationDeps = { keys: [this.key], settings: this.settings, now: () => this.now };
  private readonly feed: PaperPriceSource = { latest: async () => ({ price: 100, timeMs: this.now, source: 'test feed' }), candlesSince: async () => [] };
  readonly orderDeps: OrderDeps = { prices: () => this.feed, clock: () => this.now, keys: [this.key] };

  async open(username: string): Promise<this> {
    this.t = await createTestDatabase();
    this.receivers = await new NotifyReceivers().start();
    this.userId = (await registerUser(this.t.db, { username, password: 'long enough pw' })).id;
    const account = await createAccount(
      this.t.db,
      this.userId,
      { name: 'paper', exchange: 'paper', balances: { USDT: '1000000' }, feeRate: '0.001', slippage: '0' },
      {},
      { keys: [this.key] },
    );
    this.accountId = account.id;
    return this;
  }

  async close(): Promise<void> {
    await this.receivers?.close();
    await this.t?.destroy();
  }

  /** Before each test: the clock at `now`, the receivers emptied, no channels (their rules and outbox rows go too). */
  async reset(now: number): Promise<void> {
    this.now = now;
    this.receivers.reset();
    await this.t.db.delete(notificationChannels);
  }

  /** A market buy of 0.5 BTC on the paper account (a fill, so a `fill` notification); its order id. */
  async buy(): Promise<string> {
    const { order } = await placeOrder(
      this.t.db,
      this.userId,
      { accountId: this.accountId, symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: '0.5' },
      this.orderDeps,
    );
    return order.id;
  }
}
