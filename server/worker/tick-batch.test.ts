/**
 * Paper ticks of deployments due together, in one transaction (tick-batch.ts), on a real PostgreSQL: each member
 * commits its own tick, and one member's failure does not lose the others' ticks. And the warm-up of that path
 * (tick-warm-up.ts) writes nothing and changes no tick.
 */
import { eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { deployments, eventLog, notificationOutbox, orders, paperBalances } from '@/db/schema';
import { parseMasterKey } from '@/server/services/crypto';
import { createChannel, createRule } from '@/server/services/notifications';
import type { OhlcvRow } from '@/server/core/candles';
import { engageKillSwitch } from '@/server/services/kill-switch';
import { registerUser } from '@/server/services/auth/users';
import { claimDeployments, loadRuntime, type DeploymentRuntime } from '@/server/services/deployments';
import { upsertCandles } from '@/server/services/market-data/candles';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { fixtureRows } from '@/server/testing/fixtures';
import { claimedPaperDcaDeployments } from '@/server/testing/deployments/paper-dca';
import { tickPaperBatch } from './tick-batch';
import { warmUpPaperTicks } from './tick-warm-up';

const HOUR = 3_600_000;
const rows: OhlcvRow[] = fixtureRows('btc-usd-1h').slice(0, 50);

let t: TestDatabase;
let userId: string;
let now = Date.UTC(2026, 0, 1);
const clock = () => now;

beforeAll(async () => {
  t = await createTestDatabase();
  userId = (await registerUser(t.db, { username: 'batched', password: 'correct horse battery' })).id;
  await upsertCandles(t.db, { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' }, rows);
}, 60_000);

afterAll(async () => {
  await t?.destroy();
});

/** `count` DCA deployments (a buy on every candle), each on its own paper account, replaying from the first candle at one candle a second, claimed as a worker claims them. */
const claimedDeployments = (count: number, name: string, owner = userId): Promise<DeploymentRuntime[]> =>
  claimedPaperDcaDeployments(t.db, { count, name, userId: owner, startMs: rows[0]![0], clock });

const ordersOf = (ids: string[]) =>
  t.db.select({ deploymentId: orders.deploymentId, createdAt: orders.createdAt, status: orders.status }).from(orders).where(inArray(orders.deploymentId, ids));

it('ticks paper deployments due together in one transaction, each committing its own tick', async () => {
  const runtimes = await claimedDeployments(3, 'together');
  now += (1.5 * HOUR) / 3600; // the replay: its first candle closed, the second one open (the buy fills at its open)
  const outcomes = await tickPaperBatch(t.db, runtimes, { now: clock });

  for (const { rt, result, retriedAlone } of outcomes) {
    expect(result.status, `deployment ${rt.id} ticked`).toBe('fulfilled');
    expect(result.status === 'fulfilled' && result.value.orders, 'one DCA buy on the closed candle').toBe(1);
    expect(retriedAlone, 'nothing failed, nothing ticked twice').toBe(false);
    expect(rt.row.lastBarTime, 'the runtime moved on after the commit').toBe(rows[0]![0]);
  }
  const placed = await ordersOf(runtimes.map((rt) => rt.id));
  expect(
    placed.map((o) => o.status),
    'every member placed its order',
  ).toEqual(['filled', 'filled', 'filled']);
  // created_at is PostgreSQL's now(): the start of the transaction the order was written in.
  expect(new Set(placed.map((o) => o.createdAt.getTime())).size, 'the three orders were written in one transaction').toBe(1);
  const stored = await t.db
    .select({ lastBarTime: deployments.lastBarTime })
    .from(deployments)
    .where(
      inArray(
        deployments.id,
        runtimes.map((rt) => rt.id),
      ),
    );
  expect(
    stored.map((d) => d.lastBarTime),
    'each deployment stored its own progress',
  ).toEqual([rows[0]![0], rows[0]![0], rows[0]![0]]);
});

it("queues a batched tick's fills in the user's notification outbox and numbers its events in the event log, in the statement that sends them", async () => {
  const owner = (await registerUser(t.db, { username: 'batched-notified', password: 'correct horse battery' })).id;
  const keys = [parseMasterKey(randomBytes(32).toString('base64'))];
  const settings = () => ({ telegramApiUrl: 'http://127.0.0.1:9', discordApiUrl: 'http://127.0.0.1:9', allowPrivateNetworks: true });
  const channel = await createChannel(t.db, owner, { type: 'webhook', name: 'hook', url: 'https://hooks.example.com/in' }, { keys, settings });
  await createRule(t.db, owner, { channelId: channel.id, kind: 'fill' });
  const runtimes = await claimedDeployments(2, 'notified', owner);
  now += (1.5 * HOUR) / 3600;
  const outcomes = await tickPaperBatch(t.db, runtimes, { now: clock });
  expect(outcomes.map((o) => o.retriedAlone)).toEqual([false, false]);
  const queued = await t.db.select().from(notificationOutbox).where(eq(notificationOutbox.userId, owner));
  expect(
    queued.map((row) => [row.kind, (row.event as { deploymentId?: string }).deploymentId]).sort(),
    'one fill notification per member, committed with its tick',
  ).toEqual(runtimes.map((rt) => ['fill', rt.id]).sort());
  const logged = await t.db.select().from(eventLog).where(eq(eventLog.userId, owner));
  expect(
    logged.filter((row) => (row.event as { kind: string }).kind === 'order').length,
    "each member's order event is numbered in the event log, so a resuming stream replays it",
  ).toBe(runtimes.length);
});

it("keeps the others' ticks when one member fails: the batch is rolled back and every member is ticked alone", async () => {
  const runtimes = await claimedDeployments(3, 'one fails');
  const [first, taken, third] = runtimes as [DeploymentRuntime, DeploymentRuntime, DeploymentRuntime];
  // Another worker claimed the middle one since (a higher epoch): its tick must place nothing.
  await t.db
    .update(deployments)
    .set({ leaseEpoch: taken.epoch + 1, leaseOwner: 'another-worker' })
    .where(eq(deployments.id, taken.id));
  now += (1.5 * HOUR) / 3600;
  const outcomes = await tickPaperBatch(t.db, runtimes, { now: clock });

  const byId = new Map(outcomes.map((o) => [o.rt.id, o]));
  expect(byId.get(taken.id)!.result, 'the member that lost its lease says so').toMatchObject({ status: 'fulfilled', value: { status: 'lost' } });
  for (const rt of [first, third]) {
    const outcome = byId.get(rt.id)!;
    expect(outcome.retriedAlone, 'the shared transaction was rolled back, then the member ticked alone').toBe(true);
    expect(outcome.result, 'the member still placed its order').toMatchObject({ status: 'fulfilled', value: { status: 'ok', orders: 1 } });
  }
  const placed = await ordersOf(runtimes.map((rt) => rt.id));
  expect(
    placed.filter((o) => o.deploymentId === taken.id),
    'nothing written for the deployment this worker lost',
  ).toEqual([]);
  expect(
    placed.filter((o) => o.deploymentId !== taken.id).map((o) => o.status),
    'exactly one order each for the others',
  ).toEqual(['filled', 'filled']);
});

it("pauses every member whose user's kill switch is engaged, and places nothing: the batch's one fence reads each member's latches", async () => {
  const halted = await registerUser(t.db, { username: 'batched-halted', password: 'correct horse battery' });
  const others = await claimedDeployments(1, 'not halted');
  const escaped = await claimedDeployments(2, 'halted', halted.id);
  await engageKillSwitch(t.db, { id: halted.id, role: halted.role }, { reason: 'batch drill' });
  // As if the two had escaped the engage: running again, claimed by this worker.
  const ids = escaped.map((rt) => rt.id);
  await t.db.update(deployments).set({ state: 'running', leaseOwner: null, leaseExpiresAt: null }).where(inArray(deployments.id, ids));
  const claimed = await claimDeployments(t.db, 'batch-test-worker', 1000, 60_000);
  const reloaded: DeploymentRuntime[] = [];
  for (const id of ids) {
    const [row] = await t.db.select().from(deployments).where(eq(deployments.id, id));
    reloaded.push(await loadRuntime(t.db, row!, Number(claimed.find((c) => c.id === id)!.lease_epoch)));
  }
  now += (1.5 * HOUR) / 3600;
  const outcomes = await tickPaperBatch(t.db, [reloaded[0]!, others[0]!, reloaded[1]!], { now: clock });

  for (const { rt, result, retriedAlone } of outcomes) {
    expect(retriedAlone, 'nothing failed: one transaction').toBe(false);
    if (rt.userId === halted.id) {
      expect(result, 'the halted member ended its tick').toMatchObject({ status: 'fulfilled', value: { status: 'ended', orders: 0 } });
    } else {
      expect(result, "the other user's member traded as usual").toMatchObject({ status: 'fulfilled', value: { status: 'ok', orders: 1 } });
    }
  }
  const stored = await t.db.select({ state: deployments.state, stateReason: deployments.stateReason }).from(deployments).where(inArray(deployments.id, ids));
  for (const d of stored) {
    expect(d.state).toBe('paused');
    expect(d.stateReason).toContain('the kill switch is engaged');
  }
  expect(await ordersOf(ids), 'no order for a halted member').toEqual([]);
  expect((await ordersOf([others[0]!.id])).map((o) => o.status)).toEqual(['filled']);
});

/** Every table a tick writes, whole (rows as JSON text, in a fixed order). */
async function everythingATickWrites(): Promise<Record<string, unknown>> {
  const tables = ['deployments', 'orders', 'fills', 'order_events', 'paper_balances', 'event_log', 'notification_outbox', 'alerts'];
  const out: Record<string, unknown> = {};
  for (const table of tables) {
    const result = await t.db.execute<{ rows: string | null }>(sql.raw(`select json_agg(x order by x::text)::text as rows from ${table} x`));
    out[table] = result[0]?.rows ?? null;
  }
  return out;
}

it("runs the paper tick path over throwaway deployments, writing nothing and leaving the claimed deployments' ticks as they were", async () => {
  const [warmed, control] = [await claimedDeployments(2, 'warmed'), await claimedDeployments(2, 'control')];
  const before = await everythingATickWrites();
  const runtimesBefore = warmed.map((rt) => structuredClone({ row: rt.row, bars: rt.bars.length, nextDueMs: rt.nextDueMs, account: rt.account }));

  const result = await warmUpPaperTicks(warmed, { untilMs: Infinity, maxTicks: 300, batchSize: 10 });

  expect(result.ticks, 'it ticked as many throwaway deployments as asked').toBe(300);
  expect(result.orders, 'their ticks went through the order path (a DCA buy each)').toBeGreaterThanOrEqual(290);
  expect(await everythingATickWrites(), 'nothing written: the warm-up is never given the database').toEqual(before);
  expect(
    warmed.map((rt) => ({ row: rt.row, bars: rt.bars.length, nextDueMs: rt.nextDueMs, account: rt.account })),
    'the claimed runtimes untouched',
  ).toEqual(runtimesBefore);

  // The same tick for the warmed deployments and for deployments that were never a template: the same outcome.
  now += (1.5 * HOUR) / 3600;
  const outcomes = await tickPaperBatch(t.db, [...warmed, ...control], { now: clock });
  expect(outcomes.map((o) => (o.result.status === 'fulfilled' ? o.result.value.orders : o.result.reason))).toEqual([1, 1, 1, 1]);
  const ids = [...warmed, ...control].map((rt) => rt.id);
  const placed = await t.db
    .select({ deploymentId: orders.deploymentId, status: orders.status, quantity: orders.quantity, averagePrice: orders.averagePrice })
    .from(orders)
    .where(inArray(orders.deploymentId, ids));
  const byDeployment = (id: string) => {
    const order = placed.find((o) => o.deploymentId === id)!;
    return { status: order.status, quantity: order.quantity, averagePrice: order.averagePrice };
  };
  expect(warmed.map((rt) => byDeployment(rt.id))).toEqual(control.map((rt) => byDeployment(rt.id)));
  const stored = await t.db.select({ id: deployments.id, runner: deployments.runner }).from(deployments).where(inArray(deployments.id, ids));
  const runnerOf = (id: string) => stored.find((d) => d.id === id)!.runner;
  expect(warmed.map((rt) => runnerOf(rt.id))).toEqual(control.map((rt) => runnerOf(rt.id)));
  const balances = await t.db
    .select()
    .from(paperBalances)
    .where(
      inArray(
        paperBalances.accountId,
        [...warmed, ...control].map((rt) => rt.account.id),
      ),
    );
  const balancesOf = (accountId: string) =>
    balances
      .filter((b) => b.accountId === accountId)
      .map((b) => [b.asset, b.free, b.used])
      .sort();
  expect(warmed.map((rt) => balancesOf(rt.account.id))).toEqual(control.map((rt) => balancesOf(rt.account.id)));
});
