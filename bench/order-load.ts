/**
 * Orders under load (issue 12, Benchmark): 50 concurrent clients placing paper market orders over REST for 30 s
 * against the production build (started as `npm run web`, its default pool of 10), all on ONE paper account, so
 * every order contends for the same balance rows. Beside it, in the same run, the reference: the same number of
 * concurrent callers running a bare transaction (`insert … returning` + `update` of a one-row table, which they
 * all contend for too) on a pool of the same size, for the same time. While the orders run, GET /api/health is
 * probed every 100 ms: it must keep answering.
 *
 * Judged: zero errors (every order answered 201; a 503 counts as an error here). Correctness check: the account's
 * balances equal its starting balances plus its fills afterwards.
 */
import { sql } from 'drizzle-orm';
import { performance } from 'node:perf_hooks';
import { createDatabase } from '../db/client';
import { ensureBuild, registerAndToken, startApp, startLoadGenerator, type BenchDatabase } from './api';
import type { CheckResult } from './lib/parity';
import { percentileOfSorted } from './lib/stats';

export const ORDER_LOAD_CLIENTS = 50;

export interface OrderLoadResult {
  clients: number;
  durationMs: number;
  /** the web app's pool (DATABASE_POOL_SIZE default) and the reference's */
  poolSize: number;
  orders: { ok: number; failed: number; firstFailure: string | null; perSecond: number; p50Ms: number; p99Ms: number };
  reference: { ok: number; failed: number; perSecond: number; p50Ms: number; p99Ms: number };
  ratioP50: number;
  ratioP99: number;
  health: { probes: number; failed: number; p50Ms: number; p99Ms: number; maxMs: number };
  build: { built: boolean; ms: number | null };
}

const round = (value: number, digits = 3) => Number(value.toFixed(digits));
const STARTING = { USDT: '1000000000', BTC: '100000' };

export async function benchOrderLoad(options: {
  database: BenchDatabase;
  durationMs: number;
  reuseBuild: boolean;
  logDir: string;
  log: (line: string) => void;
}): Promise<{ result: OrderLoadResult; checks: CheckResult[] }> {
  const { database, durationMs, log } = options;
  const build = await ensureBuild(options.reuseBuild, options.logDir, log);
  const app = await startApp(database.url, options.logDir, log);
  const generator = startLoadGenerator();
  const poolSize = 10;
  const reference = createDatabase(database.url, { max: poolSize, applicationName: 'cryptobot-bench-reference' });
  try {
    const token = await registerAndToken(app.baseUrl);
    const auth = { authorization: `Bearer ${token}` };
    const created = await fetch(`${app.baseUrl}/api/v1/accounts`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench load', exchange: 'paper', balances: STARTING }),
    });
    if (created.status !== 201) throw new Error(`creating the paper account: HTTP ${created.status} ${await created.text()}`);
    const accountId = ((await created.json()) as { id: string }).id;
    // Alternately buy and sell, so the account never runs dry; no clientOrderId: each request is a new order.
    const bodies = (['buy', 'sell'] as const).map((side) => JSON.stringify({ accountId, symbol: 'BTC/USDT', side, type: 'market', quantity: '0.001' }));
    const ordersUrl = `${app.baseUrl}/api/v1/orders`;
    // Warm-up: the routes compiled and the price source's first walk done before the clock starts.
    await generator.run({ url: ordersUrl, method: 'POST', bodies, okStatuses: [201], headers: auth, concurrency: 4, durationMs: 1_000, maxRequests: 200 });

    log(`  orders under load: ${ORDER_LOAD_CLIENTS} clients, ${durationMs / 1000} s, one paper account`);
    const probes: number[] = [];
    let probeFailures = 0;
    let probing = true;
    const probe = (async () => {
      while (probing) {
        const t0 = performance.now();
        try {
          const response = await fetch(`${app.baseUrl}/api/health`);
          await response.text();
          if (response.status === 200) probes.push(performance.now() - t0);
          else probeFailures++;
        } catch {
          probeFailures++;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const load = await generator.run({
      url: ordersUrl,
      method: 'POST',
      bodies,
      okStatuses: [201],
      headers: auth,
      concurrency: ORDER_LOAD_CLIENTS,
      durationMs,
      maxRequests: 2_000_000,
    });
    probing = false;
    await probe;
    log(
      `  orders under load: ${load.ok} answered 201 (${Math.round(load.requestsPerSecond)}/s), ${load.failed} errors${load.firstFailure ? ` (first: ${load.firstFailure})` : ''}, p50 ${round(load.p50Ms)} ms, p99 ${round(load.p99Ms)} ms`,
    );

    const ref = await referenceLoad(reference, ORDER_LOAD_CLIENTS, durationMs);
    log(
      `  reference (bare insert + update transaction, pool of ${poolSize}): ${ref.ok} (${Math.round(ref.perSecond)}/s), p50 ${ref.p50Ms} ms, p99 ${ref.p99Ms} ms`,
    );

    const checks = [await balancesEqualFills(reference, accountId)];
    const sortedProbes = Float64Array.from(probes).sort();
    return {
      result: {
        clients: ORDER_LOAD_CLIENTS,
        durationMs,
        poolSize,
        orders: {
          ok: load.ok,
          failed: load.failed,
          firstFailure: load.firstFailure,
          perSecond: round(load.requestsPerSecond, 1),
          p50Ms: round(load.p50Ms),
          p99Ms: round(load.p99Ms),
        },
        reference: ref,
        ratioP50: round(load.p50Ms / ref.p50Ms, 2),
        ratioP99: round(load.p99Ms / ref.p99Ms, 2),
        health: {
          probes: probes.length,
          failed: probeFailures,
          p50Ms: probes.length ? round(percentileOfSorted(sortedProbes, 50)) : Number.NaN,
          p99Ms: probes.length ? round(percentileOfSorted(sortedProbes, 99)) : Number.NaN,
          maxMs: probes.length ? round(sortedProbes[sortedProbes.length - 1]!) : Number.NaN,
        },
        build,
      },
      checks,
    };
  } finally {
    generator.close();
    await reference.close();
    await app.stop();
  }
}

/** `clients` loops, each running the bare transaction back to back on the pool, for `durationMs`. */
async function referenceLoad(database: ReturnType<typeof createDatabase>, clients: number, durationMs: number): Promise<OrderLoadResult['reference']> {
  const { db } = database;
  await db.execute(sql`create table if not exists bench_load_ref_log (id bigserial primary key, at timestamptz not null default now(), note text)`);
  await db.execute(sql`create table if not exists bench_load_ref_one (id int primary key, n bigint not null)`);
  await db.execute(sql`insert into bench_load_ref_one values (1, 0) on conflict do nothing`);
  const latencies: number[] = [];
  let failed = 0;
  const deadline = performance.now() + durationMs;
  const started = performance.now();
  const loop = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        await db.transaction(async (tx) => {
          await tx.execute(sql`insert into bench_load_ref_log (note) values ('order') returning id`);
          await tx.execute(sql`update bench_load_ref_one set n = n + 1 where id = 1`);
        });
        latencies.push(performance.now() - t0);
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, loop));
  const elapsed = performance.now() - started;
  const sorted = Float64Array.from(latencies).sort();
  return {
    ok: latencies.length,
    failed,
    perSecond: round(latencies.length / (elapsed / 1000), 1),
    p50Ms: round(percentileOfSorted(sorted, 50)),
    p99Ms: round(percentileOfSorted(sorted, 99)),
  };
}

/** The account's balances (free + used) equal its starting balances plus its fills. */
async function balancesEqualFills(database: ReturnType<typeof createDatabase>, accountId: string): Promise<CheckResult> {
  const rows = await database.db.execute<{ asset: string; expected: string; actual: string }>(sql`
    with moves(asset, amount) as (
      select split_part(o.symbol, '/', 1), case when o.side = 'buy' then f.quantity else -f.quantity end
        from fills f join orders o on o.id = f.order_id where f.account_id = ${accountId}
      union all
      select split_part(o.symbol, '/', 2), case when o.side = 'buy' then -(f.quantity * f.price) - f.fee else f.quantity * f.price - f.fee end
        from fills f join orders o on o.id = f.order_id where f.account_id = ${accountId}
      union all select key, value::numeric from jsonb_each_text(${JSON.stringify(STARTING)}::jsonb))
    select m.asset, sum(m.amount)::text as expected, (select (free + used)::text from paper_balances b where b.account_id = ${accountId} and b.asset = m.asset) as actual
      from moves m group by m.asset`);
  const off = rows.filter((r) => r.actual === null || Math.abs(Number(r.expected) - Number(r.actual)) > 1e-9);
  return {
    name: 'orders under load: balances = starting balances + fills',
    ok: off.length === 0,
    detail: off.length === 0 ? rows.map((r) => `${r.asset} ${r.actual}`).join(', ') : `differ: ${JSON.stringify(off)}`,
  };
}
