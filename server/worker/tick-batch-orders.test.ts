/**
 * A batch's orders in one insert and one outcome statement (tick-batch.ts, services/orders/order-batch-sql.ts), on
 * a real PostgreSQL: members of different users, accounts and symbols get what each would get ticked alone; a
 * member whose writes fail leaves nothing half-written; the statements a batch sends do not grow with its members;
 * and a taken clientOrderId places nothing twice.
 */
import { eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deployments, fills, orderEvents, orders, paperBalances } from '@/db/schema';
import type { OhlcvRow } from '@/server/core/candles';
import { registerUser } from '@/server/services/auth/users';
import { tickDeployment, type DeploymentRuntime } from '@/server/services/deployments';
import { upsertCandles } from '@/server/services/market-data/candles';
import { ensureBalanceRows } from '@/server/services/orders';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { claimedPaperDcaDeployments } from '@/server/testing/deployments/paper-dca';
import { fixtureRows } from '@/server/testing/fixtures';
import { countWire } from '@/server/testing/wire-count';
import { tickPaperBatch } from './tick-batch';

const HOUR = 3_600_000;
const btc: OhlcvRow[] = fixtureRows('btc-usd-1h').slice(0, 50);
// A second market at other prices: ETH/USDT at 1/20 of the BTC fixture's.
const eth: OhlcvRow[] = btc.map(([time, ...ohlcv]) => [time, ...ohlcv.map((v, i) => (i === 4 ? v : Math.round(v * 5) / 100))] as OhlcvRow);

let t: TestDatabase;
let users: [string, string];
let now = Date.UTC(2026, 0, 1);
const clock = () => now;

beforeAll(async () => {
  t = await createTestDatabase();
  users = [
    (await registerUser(t.db, { username: 'batch-orders-a', password: 'correct horse battery' })).id,
    (await registerUser(t.db, { username: 'batch-orders-b', password: 'correct horse battery' })).id,
  ];
  await upsertCandles(t.db, { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' }, btc);
  await upsertCandles(t.db, { exchange: 'binance', symbol: 'ETH/USDT', timeframe: '1h' }, eth);
}, 60_000);

afterAll(async () => {
  await t?.destroy();
});

/** Two users × two symbols, one deployment each, on their own accounts; the first user's have their balance rows made ahead (as the worker makes them), the second's not. */
async function mixedDeployments(name: string): Promise<DeploymentRuntime[]> {
  const runtimes: DeploymentRuntime[] = [];
  for (const [u, userId] of users.entries()) {
    for (const symbol of ['BTC/USDT', 'ETH/USDT']) {
      const [rt] = await claimedPaperDcaDeployments(t.db, { count: 1, name: `${name} ${u} ${symbol}`, userId, startMs: btc[0]![0], clock, symbol });
      if (u === 0) await ensureBalanceRows(t.db, rt!.account.id, symbol.split('/'));
      runtimes.push(rt!);
    }
  }
  return runtimes;
}

/** What a deployment's ticks wrote, without the ids and times that differ between any two deployments. */
async function writtenBy(rt: DeploymentRuntime) {
  const placed = await t.db.select().from(orders).where(eq(orders.deploymentId, rt.id)).orderBy(orders.matchedUntilMs);
  const orderIds = placed.map((o) => o.id);
  const strip = (text: string) =>
    placed
      .reduce((out, o) => out.replaceAll(o.clientOrderId, '<clientOrderId>'), text.replaceAll(rt.id, '<deployment>'))
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>');
  const placedFills = orderIds.length ? await t.db.select().from(fills).where(inArray(fills.orderId, orderIds)).orderBy(fills.id) : [];
  const events = orderIds.length ? await t.db.select().from(orderEvents).where(inArray(orderEvents.orderId, orderIds)).orderBy(orderEvents.id) : [];
  const balances = await t.db.select().from(paperBalances).where(eq(paperBalances.accountId, rt.account.id)).orderBy(paperBalances.asset);
  const [stored] = await t.db.select().from(deployments).where(eq(deployments.id, rt.id));
  return {
    orders: placed.map((o) => ({
      ...o,
      id: undefined,
      accountId: undefined,
      userId: undefined,
      deploymentId: undefined,
      clientOrderId: undefined,
      exchangeOrderId: o.exchangeOrderId === null ? null : strip(o.exchangeOrderId),
      createdAt: undefined,
      updatedAt: undefined,
    })),
    fills: placedFills.map((f) => ({
      ...f,
      id: undefined,
      orderId: orderIds.indexOf(f.orderId),
      accountId: undefined,
      tradeId: strip(f.tradeId),
      executedAt: undefined,
    })),
    events: events.map((e) => ({ ...e, id: undefined, orderId: orderIds.indexOf(e.orderId), details: strip(JSON.stringify(e.details)), createdAt: undefined })),
    balances: balances.map((b) => [b.asset, b.free, b.used]),
    runner: stored!.runner,
    lastBarTime: stored!.lastBarTime,
  };
}

it('gives each member of a batch (different users, accounts and symbols) exactly what ticking it alone gives, tick after tick', async () => {
  const batched = await mixedDeployments('batched');
  const alone = await mixedDeployments('alone');
  for (let tick = 0; tick < 3; tick++) {
    now += HOUR / 3600; // the next candle closes (the replay runs at one candle a second)
    const outcomes = await tickPaperBatch(t.db, batched, { now: clock });
    for (const { result, retriedAlone } of outcomes) {
      expect(retriedAlone, 'nothing failed: the batch committed').toBe(false);
      expect(result, 'a DCA buy each').toMatchObject({ status: 'fulfilled', value: { status: 'ok', orders: 1 } });
    }
    for (const rt of alone) expect(await tickDeployment(t.db, rt, { now: clock })).toMatchObject({ status: 'ok', orders: 1 });
  }
  for (const [i, rt] of batched.entries()) {
    const written = await writtenBy(rt);
    expect(
      written.orders.map((o) => o.status),
      'three filled buys',
    ).toEqual(['filled', 'filled', 'filled']);
    expect(written.fills, 'one fill per order').toHaveLength(3);
    expect(written, `member ${i} (${rt.row.strategy.symbol}) wrote what the same deployment ticked alone wrote`).toEqual(await writtenBy(alone[i]!));
  }
  // Different symbols were priced apart: the ETH orders filled at about 1/20 of the BTC ones.
  const [btcOrder] = (await writtenBy(batched[0]!)).orders;
  const [ethOrder] = (await writtenBy(batched[1]!)).orders;
  expect(Number(ethOrder!.averagePrice) / Number(btcOrder!.averagePrice)).toBeCloseTo(0.05, 2);
});

it("leaves nothing half-written when one member's order fails in the batch: the batch rolls back, the others are ticked alone and commit, the failing one fails alone", async () => {
  const runtimes = await mixedDeployments('failing');
  const failing = runtimes[2]!;
  const before = await writtenBy(failing);
  // The failing member's fill cannot be written (as a constraint the code did not expect would refuse it): the batch's
  // outcome statement fails after its insert wrote every member's order in the transaction.
  await t.db.execute(
    sql.raw(`create function refuse_fill() returns trigger language plpgsql as $$ begin
       if new.account_id = '${failing.account.id}' then raise exception 'fill refused for the test'; end if; return new; end $$;
     create trigger refuse_fill before insert on fills for each row execute function refuse_fill()`),
  );
  try {
    now += HOUR / 3600;
    const outcomes = await tickPaperBatch(t.db, runtimes, { now: clock });
    for (const { rt, result, retriedAlone } of outcomes) {
      expect(retriedAlone, 'the batch was rolled back and every member ticked alone').toBe(true);
      if (rt === failing) expect(result.status === 'rejected' && String(result.reason), 'the failing member fails alone too').toContain('fill refused');
      else expect(result, 'the others placed their order alone').toMatchObject({ status: 'fulfilled', value: { status: 'ok', orders: 1 } });
    }
  } finally {
    await t.db.execute(sql.raw('drop trigger refuse_fill on fills; drop function refuse_fill()'));
  }
  expect(await writtenBy(failing), 'no order, event, fill, balance or state of the failing member').toEqual(before);
  for (const rt of runtimes.filter((r) => r !== failing)) {
    const written = await writtenBy(rt);
    expect(
      written.orders.map((o) => o.status),
      'exactly one order each for the others',
    ).toEqual(['filled']);
    expect(written.fills).toHaveLength(1);
    expect(
      written.events.map((e) => e.type),
      'each order event once',
    ).toEqual(['created', 'sent_ack', 'fill']);
  }
});

it('sends the same number of statements for a batch of 8 as for a batch of 2: one insert and one outcome for all their orders', async () => {
  const counted = async (runtimes: DeploymentRuntime[]) => {
    const wire = countWire(t.url);
    const outcomes = await tickPaperBatch(t.db, runtimes, { now: clock });
    const counts = wire.stop();
    expect(outcomes.map((o) => o.result.status === 'fulfilled' && o.result.value.orders)).toEqual(runtimes.map(() => 1));
    return counts;
  };
  const [small, large] = [(await mixedDeployments('two')).slice(0, 2), [...(await mixedDeployments('eight a')), ...(await mixedDeployments('eight b'))]];
  for (const rt of [...small, ...large]) await ensureBalanceRows(t.db, rt.account.id, rt.row.strategy.symbol.split('/'));
  now += HOUR / 3600;
  const two = await counted(small);
  const eight = await counted(large);
  expect(eight.binds, `statements for 8 members (${eight.binds}) as for 2 (${two.binds})`).toBe(two.binds);
  expect(two.binds, 'candle reads, fence, insert, outcome, notifications, state writes: a handful').toBeLessThanOrEqual(8);
});

it("places nothing twice when a member's clientOrderId is already taken: the batch's insert skips it and the member books the stored order", async () => {
  const [again, other] = (await mixedDeployments('retried')).slice(0, 2) as [DeploymentRuntime, DeploymentRuntime];
  now += HOUR / 3600;
  const before = structuredClone(again.row);
  expect(await tickDeployment(t.db, again, { now: clock }), 'the first attempt, alone').toMatchObject({ status: 'ok', orders: 1 });
  const placedFirst = await writtenBy(again);
  // Its state write lost (as if from before the tick): the next tick decides on the same bar, with the same clientOrderId.
  await t.db
    .update(deployments)
    .set({ runner: before.runner, lastBarTime: before.lastBarTime, lastDecision: before.lastDecision })
    .where(eq(deployments.id, again.id));
  again.row = before;
  const outcomes = await tickPaperBatch(t.db, [again, other], { now: clock });
  for (const { result, retriedAlone } of outcomes) {
    expect(retriedAlone, 'the batch committed').toBe(false);
    expect(result).toMatchObject({ status: 'fulfilled', value: { status: 'ok', orders: 1 } });
  }
  const placedAgain = await writtenBy(again);
  expect(placedAgain.orders, 'the same one order, not a second').toEqual(placedFirst.orders);
  expect(placedAgain.fills, 'its fill applied once').toEqual(placedFirst.fills);
  expect(placedAgain.balances, 'the balances moved once').toEqual(placedFirst.balances);
  expect(placedAgain.runner, 'the machine booked the stored fill as the first attempt did').toEqual(placedFirst.runner);
  expect(
    (await writtenBy(other)).orders.map((o) => o.status),
    'the other member traded',
  ).toEqual(['filled']);
});
