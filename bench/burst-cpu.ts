/**
 * The aligned burst's CPU per tick, in one process (docs/performance.md, "The aligned burst"): paper DCA deployments
 * on a fresh test database, claimed, then ticked as the worker ticks a burst (batches of 50 on 4 lanes through
 * tickPaperBatch), two bursts in a row: the first after the start (cold code, what the bench's burst is) and the
 * next candle's (warm). CPU, not wall time: the machine is shared. The worker's from process.cpuUsage, its
 * backends' from /proc.
 *
 *   TEST_ADMIN_DATABASE_URL=postgres://… npx tsx bench/burst-cpu.ts [--deployments=400] [--warm-up]
 */
import { readFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import { registerUser } from '../server/services/auth/users';
import { upsertCandles } from '../server/services/market-data/candles';
import type { DeploymentRuntime } from '../server/services/deployments';
import { ensureBalanceRows } from '../server/services/orders';
import { createTestDatabase } from '../server/testing/db';
import { claimedPaperDcaDeployments } from '../server/testing/deployments/paper-dca';
import { fixtureRows } from '../server/testing/fixtures';
import { countWire } from '../server/testing/wire-count';
import { tickPaperBatch } from '../server/worker/tick-batch';
import { warmUpPaperTicks } from '../server/worker/tick-warm-up';
import { processCpuMs } from './trading';

const argv = process.argv.slice(2);
const count = Number(argv.find((a) => a.startsWith('--deployments='))?.split('=')[1] ?? 400);
const warm = argv.includes('--warm-up');
const HOUR = 3_600_000;

let gcMs = 0;
new PerformanceObserver((list) => list.getEntries().forEach((entry) => (gcMs += entry.duration))).observe({ entryTypes: ['gc'] });

const t = await createTestDatabase();
const wire = countWire(t.url).counts;
try {
  const rows = fixtureRows('btc-usd-1h').slice(0, 50);
  await upsertCandles(t.db, { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' }, rows);
  let now = Date.UTC(2026, 0, 1);
  const clock = () => now;
  const runtimes: DeploymentRuntime[] = [];
  for (let u = 0; u * 10 < count; u++) {
    const userId = (await registerUser(t.db, { username: `burst${u}`, password: 'correct horse battery' })).id;
    runtimes.push(
      ...(await claimedPaperDcaDeployments(t.db, { count: Math.min(10, count - u * 10), name: `burst ${u}`, userId, startMs: rows[0]![0], clock })),
    );
  }
  // The balance rows the worker creates when it claims a paper deployment (deployment-runner.ts ensurePaperBalances).
  for (const rt of runtimes) await ensureBalanceRows(t.db, rt.account.id, ['BTC', 'USDT']);
  // Every connection of the pool open before the bursts, as a worker's are after its claims.
  await Promise.all(Array.from({ length: 5 }, () => t.db.execute(sql`select pg_sleep(0.05)`)));
  const backends = async () =>
    (await t.db.execute<{ pid: number }>(sql`select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`)).map((r) =>
      Number(r.pid),
    );
  const backendsMs = (pids: number[]) => pids.reduce((sum, pid) => sum + (processCpuMs(pid) ?? 0), 0);
  if (warm) {
    const started = Date.now();
    const result = await warmUpPaperTicks(runtimes, { untilMs: started + 2_000 });
    console.log(`warm-up: ${result.ticks} ticks, ${result.orders} orders in ${Date.now() - started} ms`);
  }
  for (const burst of ['first', 'second']) {
    now += HOUR / 3600; // the next candle closes (replay at one candle a second)
    const pids = await backends();
    const [cpu0, pg0, wall0, gc0] = [process.cpuUsage(), backendsMs(pids), performance.now(), gcMs];
    const wire0 = { ...wire };
    if (process.env.BURST_MARKS) console.log(`mark ${burst} start ${process.hrtime.bigint() / 1000n}`);
    const size = Math.min(50, Math.ceil(runtimes.length / 4));
    const queue = Array.from({ length: Math.ceil(runtimes.length / size) }, (_, i) => runtimes.slice(i * size, (i + 1) * size));
    let orders = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let batch = queue.shift(); batch; batch = queue.shift()) {
          for (const { result } of await tickPaperBatch(t.db, batch, { now: clock })) if (result.status === 'fulfilled') orders += result.value.orders;
        }
      }),
    );
    if (process.env.BURST_MARKS) console.log(`mark ${burst} end ${process.hrtime.bigint() / 1000n}`);
    const cpu = process.cpuUsage(cpu0);
    const workerMs = (cpu.user + cpu.system) / 1000;
    const pgMs = backendsMs(pids) - pg0;
    await new Promise((resolve) => setImmediate(resolve)); // the observer's last entries
    const perTick = (n: number) => (n / runtimes.length).toFixed(3);
    console.log(
      `${warm ? 'warmed' : 'cold'} ${burst} burst: ${orders} orders of ${runtimes.length} in ${Math.round(performance.now() - wall0)} ms; per tick: worker ${perTick(workerMs)} ms, backends ${perTick(pgMs)} ms; GC pauses ${perTick(gcMs - gc0)} ms; statements ${perTick(wire.binds - wire0.binds)} + ${perTick(wire.queries - wire0.queries)} simple, socket writes ${perTick(wire.writes - wire0.writes)}; load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
    );
  }
} finally {
  await t.destroy();
}
