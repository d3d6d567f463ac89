/**
 * The paper tick path's warm-up (tick-warm-up.ts): it runs the tick path, writes nothing, and does not change a
 * claimed deployment's tick.
 */
import { inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deployments, orders, paperBalances } from '@/db/schema';
import type { OhlcvRow } from '@/server/core/candles';
import { registerUser } from '@/server/services/auth/users';
import { upsertCandles } from '@/server/services/market-data/candles';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { claimedPaperDcaDeployments } from '@/server/testing/deployments/paper-dca';
import { fixtureRows } from '@/server/testing/fixtures';
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
  userId = (await registerUser(t.db, { username: 'warmed', password: 'correct horse battery' })).id;
  await upsertCandles(t.db, { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' }, rows);
}, 60_000);

afterAll(async () => {
  await t?.destroy();
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
  const [warmed, control] = [
    await claimedPaperDcaDeployments(t.db, { count: 2, name: 'warmed', userId, startMs: rows[0]![0], clock }),
    await claimedPaperDcaDeployments(t.db, { count: 2, name: 'control', userId, startMs: rows[0]![0], clock }),
  ];
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
