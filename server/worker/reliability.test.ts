/**
 * Reliability of the deployment runner with real worker processes on a real PostgreSQL:
 * kill -9 at random points (and at the named crash points) while a replay trades, and two workers
 * sharing one database. The outcome must be what the fills imply, and the backtest of the same candles.
 *
 * Nothing here depends on how fast the machine is: a worker's life is counted from its "worker started"
 * line, the replay only advances while a ready worker runs (the deployment is paused in between, which
 * freezes its feed clock), and a crash-point round waits for the worker to die at its point, armed
 * only when the point is still ahead (an order crash point only while the backtest has trades left).
 */
import { randomBytes } from 'node:crypto';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployments, fills, orders, paperBalances } from '@/db/schema';
import { runBacktest } from '@/server/core/backtest/engine';
import { seriesFromRows, type OhlcvRow } from '@/server/core/candles';
import { createStrategy } from '@/server/core/strategies/registry';
import { createAccount } from '@/server/services/accounts';
import { registerUser } from '@/server/services/auth/users';
import { createDeployment, getDeployment, pauseDeployment, resumeDeployment } from '@/server/services/deployments';
import { upsertCandles } from '@/server/services/market-data/candles';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { sentAcks, sleep, within, workerProcesses } from '@/server/testing/worker-process';
import { fixtureRows } from '@/server/testing/fixtures';
import { createDeployableStrategy } from '@/server/testing/strategies/deployable';

const masterKey = randomBytes(32).toString('base64');
const rows: OhlcvRow[] = fixtureRows('btc-usd-1h').slice(2000, 3000);
const PARAMS = { fastPeriod: 5, slowPeriod: 20, stopLossPct: 2, takeProfitPct: 4 };
const LEASE_MS = 1500;
/** The two-worker test's lease (ms), the production default: a worker stalled for seconds on a busy machine keeps it. */
const PAIR_LEASE_MS = 15_000;

let t: TestDatabase;
let userId: string;
const workers = workerProcesses(() => ({ databaseUrl: t.url, masterKey, leaseMs: LEASE_MS }));
const startWorker = workers.start;

beforeAll(async () => {
  t = await createTestDatabase();
  userId = (await registerUser(t.db, { username: 'reliable', password: 'correct horse battery' })).id;
  await upsertCandles(t.db, { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' }, rows);
}, 60_000);

afterAll(async () => {
  workers.killAll();
  await t?.destroy();
});

async function setup(name: string, speed: number, start = rows[0]![0]) {
  const accountId = (await createAccount(t.db, userId, { name, exchange: 'paper', balances: { USDT: '10000' }, feeRate: '0.001', slippage: '0.0005' })).id;
  const strategy = await createDeployableStrategy(t.db, userId, {
    name,
    type: 'sma_crossover',
    params: PARAMS,
    exchange: 'binance',
    symbol: 'BTC/USDT',
    timeframe: '1h',
  });
  const deployment = await createDeployment(t.db, userId, strategy.id, { accountId, mode: 'paper', feed: { type: 'replay', start, speed } });
  return { accountId, deploymentId: deployment.id };
}

describe('kill -9 while a replayed deployment trades', () => {
  it('after every restart: no clientOrderId sent twice, no fill applied twice, balances = fills, trades = the backtest', async () => {
    // 1,000 hourly candles at 100,000x (36 ms each), advancing only while a ready worker runs.
    const { accountId, deploymentId } = await setup('kill -9', 100_000);
    await pauseDeployment(t.db, userId, deploymentId);
    const backtest = runBacktest(seriesFromRows(rows), createStrategy('sma_crossover', PARAMS), {
      initialCapital: 10_000,
      feeRate: 0.001,
      slippage: 0.0005,
      timeframe: '1h',
    });
    const tradeTimes = backtest.markers.filter((m) => m.reason !== 'end').map((m) => m.time);
    const step = 3_600_000;

    // Rounds alternate: a worker killed from outside at a random moment of its life, and a worker that
    // kills itself (SIGKILL) the first time it reaches a crash point: after writing an order, after its
    // fill, after the commit.
    const plan = ['', 'order.after_write', '', 'order.after_fill', '', 'deployment.after_commit'];
    let kills = 0;
    let crashes = 0;
    for (let round = 0; round < plan.length; round++) {
      const before = await getDeployment(t.db, userId, deploymentId);
      expect(before.state, 'the deployment survives every crash (paused between workers)').toBe('paused');
      const lastBar = before.lastBarTime ? Date.parse(before.lastBarTime) : 0;
      // An order crash point is armed only while an order is still ahead; after the commit always is.
      let point = plan[round]!;
      if (point.startsWith('order.') && !tradeTimes.some((time) => time > lastBar + 2 * step)) point = 'deployment.after_commit';
      const worker = startWorker(`w-kill-${round}`, point ? { CRYPTOBOT_CRASH_POINTS: point, CRYPTOBOT_CRASH_PROBABILITY: '1' } : {});
      await within(worker.ready, 180_000, `worker ${round} ready`);
      await resumeDeployment(t.db, userId, deploymentId);
      if (point) {
        const outcome = await within(worker.exited, 120_000, `worker ${round} dies at ${point}`);
        expect(outcome.signal, `died at ${point}: ${worker.output().slice(-2000)}`).toBe('SIGKILL');
        crashes++;
      } else {
        const lifetime = 1000 + Math.floor(Math.random() * 2000);
        const outcome = await Promise.race([worker.exited, sleep(lifetime).then(() => null)]);
        expect(outcome, `a worker without crash points lives until killed: ${worker.output().slice(-2000)}`).toBeNull();
        worker.child.kill('SIGKILL');
        await worker.exited;
        kills++;
      }
      const after = await getDeployment(t.db, userId, deploymentId);
      if (after.state === 'completed') break;
      expect(after.state).toBe('running');
      // Pausing also revokes the dead worker's lease (epoch + 1): the next worker need not wait it out.
      await pauseDeployment(t.db, userId, deploymentId);
    }
    // A last, fault-free worker finishes the replay.
    const final = startWorker('w-final');
    await within(final.ready, 180_000, 'the final worker ready');
    if ((await getDeployment(t.db, userId, deploymentId)).state === 'paused') await resumeDeployment(t.db, userId, deploymentId);
    await expect.poll(async () => (await getDeployment(t.db, userId, deploymentId)).state, { timeout: 120_000, interval: 250 }).toBe('completed');
    final.child.kill('SIGTERM');
    expect((await final.exited).code).toBe(0);
    expect(kills + crashes, 'the worker died in every round').toBe(plan.length);
    expect(crashes, 'three deaths happened at the named crash points').toBe(3);

    const placed = await t.db.select().from(orders).where(eq(orders.deploymentId, deploymentId));
    const sent = await sentAcks(
      t.db,
      placed.map((o) => o.id),
    );
    expect(
      sent.every((s) => s.n === 1),
      'each order was acknowledged (sent) exactly once',
    ).toBe(true);
    expect(new Set(placed.map((o) => o.clientOrderId)).size).toBe(placed.length);
    const fillRows = await t.db.select().from(fills).where(eq(fills.accountId, accountId)).orderBy(asc(fills.executedAt), asc(fills.id));
    expect(fillRows.length, 'one fill per market order').toBe(placed.filter((o) => o.status === 'filled').length);
    expect(new Set(fillRows.map((f) => f.orderId)).size).toBe(fillRows.length);

    const [implied] = await t.db.execute<{ usdt: string; btc: string }>(sql`
      select 10000 + coalesce(sum(case when o.side = 'sell' then f.price * f.quantity - f.fee else -(f.price * f.quantity + f.fee) end), 0) as usdt,
             coalesce(sum(case when o.side = 'buy' then f.quantity else -f.quantity end), 0) as btc
        from fills f join orders o on o.id = f.order_id where o.account_id = ${accountId}`);
    const balance = async (asset: string) => {
      const [row] = await t.db
        .select()
        .from(paperBalances)
        .where(and(eq(paperBalances.accountId, accountId), eq(paperBalances.asset, asset)));
      return row ? Number(row.free) + Number(row.used) : 0;
    };
    expect(await balance('USDT')).toBeCloseTo(Number(implied!.usdt), 8);
    expect(await balance('BTC')).toBeCloseTo(Number(implied!.btc), 12);
    const view = await getDeployment(t.db, userId, deploymentId);
    expect(Number(view.position.quantity), "the deployment's position is what its fills imply").toBeCloseTo(Number(implied!.btc), 12);

    const expected = backtest.markers.filter((m) => m.reason !== 'end');
    expect(
      fillRows.map((f) => f.executedAt.getTime()),
      'fills at the backtest trade times',
    ).toEqual(expected.map((m) => m.time));
    for (let k = 0; k < expected.length; k++) {
      expect(Math.abs(Number(fillRows[k]!.price) - expected[k]!.price) / expected[k]!.price).toBeLessThan(1e-9);
      expect(Math.abs(Number(fillRows[k]!.quantity) - expected[k]!.quantity) / expected[k]!.quantity).toBeLessThan(1e-9);
    }
  }, 900_000);
});

describe('two workers on one database', () => {
  it('each deployment has exactly one runner; killing one moves its deployments to the other', async () => {
    const ids: string[] = [];
    // Slow replays (1 candle every 2 s) that stay running for the whole test.
    for (let i = 0; i < 6; i++) ids.push((await setup(`pair ${i}`, 1800)).deploymentId);
    // Longer leases than above: a loaded machine may stall a worker for seconds without losing one.
    const lease = { CRYPTOBOT_DEPLOYMENT_LEASE_MS: String(PAIR_LEASE_MS) };
    const a = startWorker('worker-a', lease);
    const b = startWorker('worker-b', lease);
    await within(Promise.all([a.ready, b.ready]), 180_000, 'both workers ready');
    await expect
      .poll(
        async () =>
          (await t.db.select({ owner: deployments.leaseOwner }).from(deployments).where(inArray(deployments.id, ids))).filter((r) => r.owner !== null).length,
        { timeout: 60_000 },
      )
      .toBe(6);
    // Kept while they trade: every deployment processes two more candles under the lease it was claimed with.
    const lastBars = async () =>
      new Map(
        (await t.db.select({ id: deployments.id, last: deployments.lastBarTime }).from(deployments).where(inArray(deployments.id, ids))).map((r) => [
          r.id,
          r.last ?? 0,
        ]),
      );
    const claimed = await lastBars();
    await expect
      .poll(async () => [...(await lastBars())].every(([id, last]) => last >= claimed.get(id)! + 2 * 3_600_000), { timeout: 60_000, interval: 250 })
      .toBe(true);
    const claims = (output: string) =>
      output
        .split('\n')
        .filter((line) => line.includes('"deployment claimed"'))
        .map((line) => (JSON.parse(line) as { deploymentId: string }).deploymentId)
        .filter((id) => ids.includes(id));
    const [ofA, ofB] = [claims(a.output()), claims(b.output())];
    expect(ofA.length + ofB.length, 'every deployment was claimed once, by one worker, and kept').toBe(6);
    expect(new Set([...ofA, ...ofB]).size).toBe(6);
    const owners = await t.db.select({ id: deployments.id, owner: deployments.leaseOwner }).from(deployments).where(inArray(deployments.id, ids));
    for (const { id, owner } of owners) expect(owner).toBe(ofA.includes(id) ? 'worker-a' : 'worker-b');

    // kill -9 the worker that holds more; the other takes over its deployments within the lease timeout.
    const [victim, survivor, victimIds] = ofA.length >= ofB.length ? [a, 'worker-b', ofA] : [b, 'worker-a', ofB];
    expect(victimIds.length).toBeGreaterThan(0);
    const before = new Map(
      (await t.db.select({ id: deployments.id, last: deployments.lastBarTime }).from(deployments).where(inArray(deployments.id, victimIds))).map((r) => [
        r.id,
        r.last,
      ]),
    );
    victim.child.kill('SIGKILL');
    await victim.exited;
    // Moved once the victim's leases ran out (the poll's timeout is a watchdog, not the claim).
    await expect
      .poll(
        async () =>
          (await t.db.select({ owner: deployments.leaseOwner }).from(deployments).where(inArray(deployments.id, victimIds))).every((r) => r.owner === survivor),
        { timeout: PAIR_LEASE_MS + 60_000, interval: 100 },
      )
      .toBe(true);
    await expect
      .poll(
        async () =>
          (await t.db.select({ id: deployments.id, last: deployments.lastBarTime }).from(deployments).where(inArray(deployments.id, victimIds))).every(
            (r) => (r.last ?? 0) > (before.get(r.id) ?? 0),
          ),
        { timeout: 60_000 },
      )
      .toBe(true);
    const rest = survivor === 'worker-a' ? a : b;
    rest.child.kill('SIGTERM');
    expect((await rest.exited).code).toBe(0);
    const released = await t.db.select({ owner: deployments.leaseOwner }).from(deployments).where(inArray(deployments.id, ids));
    expect(
      released.every((r) => r.owner === null),
      'SIGTERM gives the leases back',
    ).toBe(true);
  }, 300_000);
});
