import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { equitySnapshots } from '@/db/schema';
import { createAccount } from '@/server/services/accounts';
import { registerUser } from '@/server/services/auth/users';
import type { PaperPriceSource } from '@/server/services/orders';
import { codeOf } from '@/server/testing/errors';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { equityCurve, snapshotAccountEquity } from './equity';

const MINUTE = 60_000;
const DAY = 86_400_000;
const T10 = Date.UTC(2025, 5, 2, 10, 0); // 10:00 UTC

let t: TestDatabase;
let alice: string;
let bob: string;
let first: string;
let second: string;

const feed: PaperPriceSource = { latest: async () => ({ price: 250, timeMs: T10, source: 'test feed' }), candlesSince: async () => [] };

beforeAll(async () => {
  t = await createTestDatabase();
  alice = (await registerUser(t.db, { username: 'alice-eq', password: 'long enough pw' })).id;
  bob = (await registerUser(t.db, { username: 'bob-eq', password: 'long enough pw' })).id;
  first = (await createAccount(t.db, alice, { name: 'one', exchange: 'paper', balances: { USDT: '100' } })).id;
  second = (await createAccount(t.db, alice, { name: 'two', exchange: 'paper', balances: { USDT: '50' } })).id;
  const bobs = (await createAccount(t.db, bob, { name: 'bobs', exchange: 'paper', balances: { USDT: '1' } })).id;
  const at = (minutes: number) => new Date(T10 + minutes * MINUTE);
  await t.db.insert(equitySnapshots).values([
    { userId: alice, accountId: first, time: at(0), currency: 'USDT', equity: '100' },
    { userId: alice, accountId: first, time: at(1), currency: 'USDT', equity: '101' },
    { userId: alice, accountId: first, time: at(3), currency: 'USDT', equity: '103' },
    // Written after a fill, off the grid: the last snapshot of its bucket wins.
    { userId: alice, accountId: first, time: new Date(T10 + 3 * MINUTE + 40_000), currency: 'USDT', equity: '104' },
    { userId: alice, accountId: second, time: at(1), currency: 'USDT', equity: '50' },
    { userId: alice, accountId: second, time: at(2), currency: 'USDT', equity: '52' },
    { userId: alice, accountId: second, time: at(4), currency: 'EUR', equity: '999' },
    { userId: bob, accountId: bobs, time: at(2), currency: 'USDT', equity: '1000000' },
  ]);
});
afterAll(() => t.destroy());

describe('equityCurve', () => {
  it('sums the accounts per bucket, carrying an account forward where it has no snapshot; empty buckets are no points', async () => {
    const curve = await equityCurve(t.db, alice, { from: T10, to: T10 + 6 * MINUTE });
    expect(curve.stepSeconds, '6 minutes fit in 1-minute buckets').toBe(60);
    expect(curve.points, "bob's snapshots, EUR rows and the empty 10:04 and 10:05 buckets are not there").toEqual([
      { time: '2025-06-02T10:00:00.000Z', equity: '100' },
      { time: '2025-06-02T10:01:00.000Z', equity: '151' },
      { time: '2025-06-02T10:02:00.000Z', equity: '153' },
      { time: '2025-06-02T10:03:00.000Z', equity: '156' },
    ]);
    expect(curve).toMatchObject({ accountId: null, currency: 'USDT', from: '2025-06-02T10:00:00.000Z', to: '2025-06-02T10:06:00.000Z' });
  });

  it('one account: its own snapshots only', async () => {
    const curve = await equityCurve(t.db, alice, { accountId: second, from: T10, to: T10 + 6 * MINUTE });
    expect(curve.points).toEqual([
      { time: '2025-06-02T10:01:00.000Z', equity: '50' },
      { time: '2025-06-02T10:02:00.000Z', equity: '52' },
    ]);
    const euro = await equityCurve(t.db, alice, { accountId: second, from: T10, to: T10 + 6 * MINUTE, currency: 'EUR' });
    expect(euro.points, 'the currency selects the snapshots').toEqual([{ time: '2025-06-02T10:04:00.000Z', equity: '999' }]);
  });

  it('wider ranges use wider buckets, each worth its last snapshot', async () => {
    const curve = await equityCurve(t.db, alice, { from: T10 - DAY, to: T10 + DAY });
    expect(curve.stepSeconds, '2 days in 1-minute buckets would be 2880 points: 5-minute buckets').toBe(300);
    expect(curve.points, 'first 104 (10:03:40) + second 52').toEqual([{ time: '2025-06-02T10:00:00.000Z', equity: '156' }]);
  });

  it('defaults to the 30 days before now; refuses an empty range; another user’s account is not found', async () => {
    const curve = await equityCurve(t.db, alice, {}, { clock: () => T10 + DAY });
    expect(curve.from).toBe(new Date(T10 + DAY - 30 * DAY).toISOString());
    expect(curve.points.at(-1)?.equity, 'hourly buckets; the 10:00 bucket holds the last of everything').toBe('156');
    expect(await codeOf(equityCurve(t.db, alice, { from: T10, to: T10 }))).toBe('UNPROCESSABLE');
    expect(await codeOf(equityCurve(t.db, bob, { accountId: first }))).toBe('NOT_FOUND');
    expect((await equityCurve(t.db, bob, { from: T10, to: T10 + 6 * MINUTE })).points, "bob's own curve").toEqual([
      { time: '2025-06-02T10:02:00.000Z', equity: '1000000' },
    ]);
  });
});

describe('snapshotAccountEquity', () => {
  it('writes the equity at a time once: a second call for the same time is a no-op', async () => {
    const accountId = (await createAccount(t.db, alice, { name: 'snap', exchange: 'paper', balances: { USDT: '10', BTC: '0.1' } })).id;
    const time = T10 + 7 * MINUTE;
    const first = await snapshotAccountEquity(t.db, accountId, time, { deps: { prices: () => feed } });
    expect(first, '10 + 0.1 × 250').toEqual({ accountId, time: new Date(time).toISOString(), written: true, equity: '35', error: null });
    const again = await snapshotAccountEquity(t.db, accountId, time, { deps: { prices: () => feed } });
    expect(again.written, 'the unique (account, time) keeps the first').toBe(false);
    const curve = await equityCurve(t.db, alice, { accountId, from: time, to: time + MINUTE });
    expect(curve.points).toEqual([{ time: new Date(time).toISOString(), equity: '35' }]);
  });
});
