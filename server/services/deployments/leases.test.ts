/**
 * Lease handover between workers (leases.ts): a lease given back is claimable at once by another worker's share
 * claim; a claim beyond the share takes only deployments left free for a whole lease.
 */
import { eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deployments } from '@/db/schema';
import { createAccount } from '@/server/services/accounts';
import { registerUser } from '@/server/services/auth/users';
import { upsertCandles } from '@/server/services/market-data/candles';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { fixtureRows } from '@/server/testing/fixtures';
import { createDeployment } from './deployments';
import { claimDeployments, giveBackLeases } from './leases';
import { createDeployableStrategy } from '@/server/testing/strategies/deployable';

const rows = fixtureRows('btc-usd-1h').slice(0, 50);
let t: TestDatabase;
const ids: string[] = [];

beforeAll(async () => {
  t = await createTestDatabase();
  const userId = (await registerUser(t.db, { username: 'leases', password: 'correct horse battery' })).id;
  await upsertCandles(t.db, { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' }, rows);
  for (let i = 0; i < 3; i++) {
    const accountId = (await createAccount(t.db, userId, { name: `leases ${i}`, exchange: 'paper', balances: { USDT: '1000' } })).id;
    const strategy = await createDeployableStrategy(t.db, userId, {
      name: `leases ${i}`,
      type: 'dca',
      params: { intervalBars: 1, amountPerBuy: 10 },
      exchange: 'binance',
      symbol: 'BTC/USDT',
      timeframe: '1h',
    });
    ids.push((await createDeployment(t.db, userId, strategy.id, { accountId, mode: 'paper', feed: { type: 'replay', start: rows[0]![0], speed: 1 } })).id);
  }
}, 60_000);

afterAll(async () => {
  await t?.destroy();
});

const owners = async () =>
  (await t.db.select({ id: deployments.id, owner: deployments.leaseOwner }).from(deployments).where(inArray(deployments.id, ids))).map((r) => r.owner).sort();

it('a lease given back is claimed by the other worker at once, under a higher epoch', async () => {
  const first = await claimDeployments(t.db, 'worker-a', 10, 60_000);
  expect(first.map((r) => r.id).sort(), 'worker a holds all three').toEqual([...ids].sort());
  expect(await claimDeployments(t.db, 'worker-b', 10, 60_000), 'nothing free for b').toEqual([]);

  const given = first.slice(0, 2);
  expect(
    await giveBackLeases(
      t.db,
      'worker-b',
      given.map((r) => r.id),
    ),
    'only the holder gives a lease back',
  ).toBe(0);
  expect(
    await giveBackLeases(
      t.db,
      'worker-a',
      given.map((r) => r.id),
    ),
  ).toBe(2);
  const taken = await claimDeployments(t.db, 'worker-b', 10, 60_000);
  expect(taken.map((r) => r.id).sort(), 'b takes exactly what a gave back').toEqual(given.map((r) => r.id).sort());
  for (const row of taken) expect(Number(row.lease_epoch), 'the claim fences a out').toBe(Number(given.find((g) => g.id === row.id)!.lease_epoch) + 1);
  expect(await owners()).toEqual(['worker-a', 'worker-b', 'worker-b']);
});

it('beyond its share a worker takes only deployments whose lease ran out a whole lease ago', async () => {
  await t.db.update(deployments).set({ leaseOwner: null, leaseExpiresAt: null }).where(inArray(deployments.id, ids));
  await t.db
    .update(deployments)
    .set({ leaseOwner: 'stalled-worker', leaseExpiresAt: sql`now() - interval '1 second'` })
    .where(eq(deployments.id, ids[0]!));
  await t.db
    .update(deployments)
    .set({ leaseOwner: 'dead-worker', leaseExpiresAt: sql`now() - interval '1 minute'` })
    .where(eq(deployments.id, ids[1]!));
  const beyond = await claimDeployments(t.db, 'worker-c', 10, 60_000, { freeForMs: 30_000 });
  expect(
    beyond.map((r) => r.id),
    'only the one free for over 30 s (not the one just expired, not the never-leased one)',
  ).toEqual([ids[1]]);
});
