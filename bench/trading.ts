/**
 * The trading path (issues #5 and #7), in two parts:
 *
 * 1. Order path, database part: one paper market order through `placePaperOrder` in its own transaction, commit
 *    included, as a manual order takes it (the fence check, the `new` row, the balance lock, then the balances,
 *    the fill, the events, the order update and its notification: BEGIN + 2 statements + NOTIFY + COMMIT in two
 *    round trips), one after another on a fresh database; beside it, in the same run, the same pool and
 *    interleaved order by order, the reference: a bare `insert … returning` and an `update` of a one-row table in
 *    one transaction; and the same order's two statements inside an already open transaction
 *    (`placePaperOrderInTx`, as the deployment runner's tick sends them). Then a whole paper tick of a DCA
 *    deployment (`tickDeployment`, one closed candle and one order), also sequential, and the statements each
 *    one sends.
 *
 * 2. N paper deployments on ONE worker: the production worker process (`node --import tsx
 *    server/worker/main.ts`, all its loops, its default options) against a fresh database with replayed 1-minute
 *    candles; latency per order = the order's `updated_at` (written by the worker, `new Date()` in
 *    applyOrderEvents, when the paper exchange's answer is applied) − the wall time at which its deciding candle
 *    closed on the deployment's replay clock (feed_clock {feedTimeMs, wallMs} and speed). See
 *    docs/performance.md for the method.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { eq, inArray, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { createDatabase, type Database, type Db } from '../db/client';
import * as schema from '../db/schema';
import { deployments, fills, orders, strategies } from '../db/schema';
import { createSimulatedMarket } from '../server/core/market/simulated';
import { createAccount, findOwnedAccount } from '../server/services/accounts';
import { registerUser } from '../server/services/auth/users';
import { claimDeployments, createDeployment, loadRuntime, tickDeployment, type DeploymentRuntime } from '../server/services/deployments';
import { upsertCandles } from '../server/services/market-data/candles';
import { EVENTS_CHANNEL } from '../server/services/events';
import { placePaperOrder, placePaperOrderInTx } from '../server/services/orders';
import type { PaperPriceSource } from '../server/services/orders/price-source';
import { createStrategyForUser } from '../server/services/strategies/strategies';
import type { BenchDatabase } from './api';
import { spawnTsx } from './lib/process';
import { percentileOfSorted, roundSummary, roundTo, summarize, type Summary } from './lib/stats';
import { settle } from './lib/timing';

const ROOT = path.resolve(import.meta.dirname, '..');
const MINUTE = 60_000;
const EXCHANGE = 'binance';
const SYMBOL = 'BTC/USDT';
const TIMEFRAME = '1m';
/** First stored candle of the replays. */
const ORIGIN_MS = Date.UTC(2026, 0, 1);

/** Issue #5: the database part of the order path, p99. */
export const ORDER_DB_TARGET_MS = 5;
/** Issue #5: candle close → order acknowledged by the paper exchange, p99, with 1,000 deployments on one worker. */
export const DEPLOYMENT_LATENCY_TARGET_MS = 50;

type Log = (line: string) => void;

// ---- 1. the order path ---------------------------------------------------------------------------------------

export interface LatencySummary {
  samples: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface OrderPathResult {
  /** timed orders (after a warm-up), and as many reference transactions interleaved with them */
  orders: number;
  rounds: number;
  /** one paper market order in its own transaction, commit included */
  ours: LatencySummary;
  /** the same order's two statements inside an open transaction (BEGIN and COMMIT not timed), as a tick sends them */
  inTransaction: LatencySummary;
  /** insert … returning + update of a one-row table, one transaction, same pool */
  reference: LatencySummary;
  /** ours ÷ reference, of the p50s and of the p99s */
  ratioP50: number;
  ratioP99: number;
  /** the p99 of each round (rounds are consecutive slices of the run), to show the spread */
  oursP99PerRound: Summary;
  referenceP99PerRound: Summary;
  /** statements one order sends, BEGIN and COMMIT included (counted on a separate instrumented connection) */
  statementsPerOrder: number;
  referenceStatements: number;
  /** a whole paper tick of a DCA deployment (one closed candle, one order), tickDeployment in this process */
  tick: LatencySummary & { statements: number; ordersPerTick: number };
  /** orders that did not end `filled` (must be 0) */
  notFilled: number;
  synchronousCommit: string;
}

function latencySummary(values: number[]): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  return {
    samples: sorted.length,
    p50Ms: roundTo(percentileOfSorted(sorted, 50), 4),
    p90Ms: roundTo(percentileOfSorted(sorted, 90), 4),
    p99Ms: roundTo(percentileOfSorted(sorted, 99), 4),
    maxMs: roundTo(sorted[sorted.length - 1]!, 4),
  };
}

/** A paper price source at a fixed price, as the deployment runner uses for replays (fixedPrice in server/services/deployments/machine-orders.ts). */
function fixedPrice(price: number, timeMs: number): PaperPriceSource {
  return {
    async latest() {
      return { price, timeMs, source: 'bench fixed price', fillTimeMs: timeMs };
    },
    async candlesSince() {
      return [];
    },
  };
}

/** A drizzle database over one connection that counts the statements it sends. */
function countingDatabase(url: string): { db: Db; count: () => number; close: () => Promise<void> } {
  let statements = 0;
  const client = postgres(url, { max: 1, onnotice: () => {}, connection: { application_name: 'cryptobot-bench-count' }, debug: () => void statements++ });
  return { db: drizzle(client, { schema }), count: () => statements, close: () => client.end({ timeout: 5 }) };
}

async function storeCandles(db: Db, count: number): Promise<void> {
  const market = createSimulatedMarket({ seed: 7, timeframe: TIMEFRAME, originMs: ORIGIN_MS, startPrice: 60_000 });
  await upsertCandles(db, { exchange: EXCHANGE, symbol: SYMBOL, timeframe: TIMEFRAME }, market.candles(ORIGIN_MS, ORIGIN_MS + count * MINUTE));
}

async function backtestedStrategy(db: Db, userId: string, name: string, type: string, params: Record<string, unknown>): Promise<string> {
  const s = await createStrategyForUser(db, userId, { name, type, params, exchange: EXCHANGE, symbol: SYMBOL, timeframe: TIMEFRAME });
  await db.update(strategies).set({ status: 'backtested' }).where(eq(strategies.id, s.id));
  return s.id;
}

export async function benchOrderPath(options: { database: BenchDatabase; orders: number; rounds: number; ticks: number; log: Log }): Promise<OrderPathResult> {
  const { log } = options;
  // The worker's pool size (server/worker/main.ts); the orders go one at a time, so one connection is busy.
  const database = createDatabase(options.database.url, { max: 10, applicationName: 'cryptobot-bench' });
  const counting = countingDatabase(options.database.url);
  const db = database.db;
  try {
    const [{ synchronous_commit: synchronousCommit } = { synchronous_commit: 'unknown' }] = await db.execute<{ synchronous_commit: string }>(
      sql`show synchronous_commit`,
    );
    // Enough orders for the JIT to settle: a worker that has run for a minute is warm.
    const warmup = Math.min(300, options.orders);
    await storeCandles(db, warmup + options.ticks + 10);
    const user = await registerUser(db, { username: 'bench_orders', password: randomBytes(18).toString('base64') });
    const accountId = (
      await createAccount(db, user.id, {
        name: 'bench orders',
        exchange: 'paper',
        balances: { USDT: '1000000000', BTC: '100000' },
        feeRate: '0.001',
        slippage: '0.0005',
      })
    ).id;
    const account = await findOwnedAccount(db, user.id, accountId);
    // A running DCA deployment on the account: the orders carry its id and lease epoch, so the fence check the
    // runner's orders pass through is part of the path; later it is ticked to time a whole paper tick.
    const strategyId = await backtestedStrategy(db, user.id, 'bench dca', 'dca', { intervalBars: 1, amountPerBuy: 10 });
    const createdAt = Date.now();
    const deployment = await createDeployment(
      db,
      user.id,
      strategyId,
      { accountId, mode: 'paper', feed: { type: 'replay', start: ORIGIN_MS, speed: 1 }, capitalQuote: '1000000' },
      { now: () => createdAt },
    );
    const [claimed] = await claimDeployments(db, 'bench-order-path', 1, 3_600_000);
    if (claimed?.id !== deployment.id) throw new Error('could not claim the bench deployment');
    const epoch = Number(claimed.lease_epoch);

    await db.execute(
      sql`create table bench_ref_rows (id bigserial primary key, account_id uuid not null, quantity numeric not null, created_at timestamptz not null default now())`,
    );
    await db.execute(sql`create table bench_ref_counter (id integer primary key, n bigint not null)`);
    await db.execute(sql`insert into bench_ref_counter values (1, 0)`);

    let sequence = 0;
    let notFilled = 0;
    const orderInput = () => {
      const k = sequence++;
      return {
        k,
        input: {
          accountId,
          symbol: SYMBOL,
          side: k % 2 === 0 ? ('buy' as const) : ('sell' as const),
          type: 'market' as const,
          quantity: '0.001',
          clientOrderId: `bench${k}`,
          deploymentId: deployment.id,
          fenceEpoch: epoch,
        },
      };
    };
    const placeOne = async (on: Db) => {
      const { k, input } = orderInput();
      const { order } = await placePaperOrder(on, user.id, account, input, fixedPrice(60_000, ORIGIN_MS + k * MINUTE), { notify: true });
      if (order.status !== 'filled') notFilled++;
    };
    /** Times only the order's statements, inside a transaction opened before and committed after. */
    const placeOneInTransaction = (on: Db) =>
      on.transaction(async (tx) => {
        const { k, input } = orderInput();
        const t0 = performance.now();
        const { order } = await placePaperOrderInTx(tx, user.id, account, input, fixedPrice(60_000, ORIGIN_MS + k * MINUTE));
        const ms = performance.now() - t0;
        if (order.status !== 'filled') notFilled++;
        return ms;
      });
    const referenceOne = (on: Db) =>
      on.transaction(async (tx) => {
        await tx.execute(sql`insert into bench_ref_rows (account_id, quantity) values (${accountId}, '0.001') returning id`);
        await tx.execute(sql`update bench_ref_counter set n = n + 1 where id = 1`);
      });

    for (let i = 0; i < warmup; i++) {
      await placeOne(db);
      await referenceOne(db);
      await placeOneInTransaction(db);
    }
    const ours: number[] = [];
    const reference: number[] = [];
    const inTransaction: number[] = [];
    const perRound = Math.ceil(options.orders / options.rounds);
    const oursP99: number[] = [];
    const referenceP99: number[] = [];
    for (let round = 0; round < options.rounds; round++) {
      const roundOurs: number[] = [];
      const roundReference: number[] = [];
      for (let i = 0; i < perRound && ours.length < options.orders; i++) {
        // Interleaved one by one, so background load on this shared machine hits both alike.
        let t0 = performance.now();
        await placeOne(db);
        roundOurs.push(performance.now() - t0);
        t0 = performance.now();
        await referenceOne(db);
        roundReference.push(performance.now() - t0);
        inTransaction.push(await placeOneInTransaction(db));
        ours.push(roundOurs.at(-1)!);
        reference.push(roundReference.at(-1)!);
      }
      oursP99.push(percentileOfSorted(Float64Array.from(roundOurs).sort(), 99));
      referenceP99.push(percentileOfSorted(Float64Array.from(roundReference).sort(), 99));
      log(
        `  order path: round ${round + 1}/${options.rounds}: ${roundOurs.length} orders, p99 ${oursP99.at(-1)!.toFixed(2)} ms (reference ${referenceP99.at(-1)!.toFixed(2)} ms)`,
      );
    }

    // Counted once the counting connection has prepared the statements (the first use of each also describes it).
    await placeOne(counting.db);
    let before = counting.count();
    await placeOne(counting.db);
    const statementsPerOrder = counting.count() - before;
    before = counting.count();
    await referenceOne(counting.db);
    const referenceStatements = counting.count() - before;

    // Whole ticks: the deployment's replay clock moved one candle per tick (deps.now), so each tick processes one
    // closed candle, the DCA strategy decides to buy, and the order fills at the next candle's open.
    const [row] = await db.select().from(deployments).where(eq(deployments.id, deployment.id));
    const rt: DeploymentRuntime = await loadRuntime(db, row!, epoch);
    let now = createdAt;
    const tickMs: number[] = [];
    let tickOrders = 0;
    const tickWith = async (on: Db) => {
      now += MINUTE;
      const result = await tickDeployment(on, rt, { now: () => now + 1 });
      if (result.status !== 'ok') throw new Error(`bench tick ended ${result.status}`);
      return result;
    };
    for (let i = 0; i < Math.min(10, options.ticks); i++) await tickWith(db);
    for (let i = 0; i < options.ticks; i++) {
      const t0 = performance.now();
      const result = await tickWith(db);
      tickMs.push(performance.now() - t0);
      tickOrders += result.orders;
    }
    before = counting.count();
    await tickWith(counting.db);
    const tickStatements = counting.count() - before;

    const oursSummary = latencySummary(ours);
    const referenceSummary = latencySummary(reference);
    return {
      orders: ours.length,
      rounds: options.rounds,
      ours: oursSummary,
      inTransaction: latencySummary(inTransaction),
      reference: referenceSummary,
      ratioP50: roundTo(oursSummary.p50Ms / referenceSummary.p50Ms, 3),
      ratioP99: roundTo(oursSummary.p99Ms / referenceSummary.p99Ms, 3),
      oursP99PerRound: roundSummary(summarize(oursP99)),
      referenceP99PerRound: roundSummary(summarize(referenceP99)),
      statementsPerOrder,
      referenceStatements,
      tick: { ...latencySummary(tickMs), statements: tickStatements, ordersPerTick: roundTo(tickOrders / options.ticks, 3) },
      notFilled,
      synchronousCommit,
    };
  } finally {
    await counting.close().catch(() => {});
    await database.close().catch(() => {});
  }
}

// ---- 2. N deployments on one worker --------------------------------------------------------------------------

export interface DeploymentScenario {
  /** a short key, e.g. "realtime" */
  readonly key: string;
  readonly deployments: number;
  /** replay speed: 1 = one 1-minute candle per minute of wall time per deployment */
  readonly speed: number;
  /**
   * staggered: each deployment's replay clock started at a different moment, so its candles close at its own
   * phase, spread evenly over the candle period (what N users starting replays at different times give);
   * aligned: every deployment's candles close at the same instant (what a live 1-minute feed gives: all at :00).
   */
  readonly phases: 'staggered' | 'aligned';
  /** measured window, ms of wall time from the first candle close (T0) */
  readonly durationMs: number;
  /** whether the latency target is judged on this scenario */
  readonly judged: boolean;
  /** the p99 close → ack target when judged (default DEPLOYMENT_LATENCY_TARGET_MS) */
  readonly targetP99Ms?: number;
  /** worker processes on the same database (default 1); they share the deployments by their leases */
  readonly workers?: number;
  /** ms from the setup's end to T0 (default the plan's): more workers need longer to share the deployments out */
  readonly startAllowanceMs?: number;
}

export interface DeploymentScenarioResult {
  key: string;
  label: string;
  deployments: number;
  speed: number;
  phases: 'staggered' | 'aligned';
  judged: boolean;
  targetP99Ms: number;
  workers: number;
  /** offered load: deployments × speed ÷ 60 s (DCA buys on every candle) */
  offeredOrdersPerSecond: number;
  windowMs: number;
  setup: { ms: number; accounts: string; users: number; strategy: { type: string; params: Record<string, unknown> } };
  worker: {
    command: string;
    /** from spawn until every deployment was held by the worker (its claim pass, row reads and runtime loads) */
    claimedAllAfterMs: number | null;
    /** ms between "all claimed" and T0 (the first candle close); negative: claiming was still going on at T0 */
    claimedAllBeforeT0Ms: number | null;
    /** deployments each worker held at T0 (one entry per worker process) */
    heldAtT0: number[];
    /** error-level lines in the worker's log */
    errorLines: number;
    logFile: string;
  };
  orders: {
    /** candle closes in the window, one order each (DCA every candle) */
    expected: number;
    acknowledged: number;
    /** acknowledged orders that did not fill (rejected, …): must be 0 */
    notFilled: number;
    /** expected orders not acknowledged by the end of the run (counted at their lower-bound latency) */
    missing: number;
    perSecond: number;
  };
  /**
   * aligned phases only: every deployment's candle closes at the same instant; drainMs = from that instant to
   * the last of its orders acknowledged (the worst burst in the window), ordersPerSecond = deployments ÷ drain
   */
  burst: {
    drainMs: number;
    ordersPerSecond: number;
    /**
     * CPU from the candle close to the last order's ack (sampled every 50 ms, interpolated at both ends), in ms: the
     * worker processes (user + system), their PostgreSQL backends, and the machine's busy time across all cores;
     * `machineCapacityMs` = drain × cores. A burst whose busy time is near the capacity was already CPU-bound.
     */
    cpuMs: { workers: number; postgres: number | null; machineBusy: number; machineCapacityMs: number } | null;
  } | null;
  /** close → ack over the expected orders; missing ones at (end of run − close), so a backlog can only push it up */
  latencyMs: LatencySummary & { lowerBound: boolean };
  /**
   * the acknowledged orders' latency split at the order row's created_at (PostgreSQL's now(): the start of the
   * tick's transaction): waiting to be ticked (+ the candle read) | inside the tick's transaction up to the ack
   */
  breakdownMs: { closeToTransaction: LatencySummary | null; transactionToAck: LatencySummary | null };
  /**
   * close → the order's NOTIFY received by a listener in the bench process: the tick's transaction committed
   * (a NOTIFY is delivered at commit) and the event reached a subscriber, as the web server's would
   */
  committedLatencyMs: LatencySummary | null;
  /**
   * The reference, same window, same machine: the bench process wakes on a schedule (10 a second) and commits
   * a bare insert … returning + update of a one-row table; latency = commit − scheduled time. What the machine
   * itself adds (scheduling on shared cores, a commit) to any "event → committed" path at that moment.
   */
  probeMs: LatencySummary | null;
  /** at the end of the run: candles that had closed more than 1 s earlier but were not processed yet */
  lag: { maxCandles: number; deploymentsBehind: number };
  cpu: {
    /** the worker process (user + system) ÷ window, % of one core */
    workerPercent: number | null;
    /** the PostgreSQL backends serving the worker, % of one core (null when the server's processes are not readable) */
    postgresPercent: number | null;
    /** the whole machine, % of all cores busy (other engineers' work included) */
    machineBusyPercent: number;
  };
}

/**
 * The worker's node flags, as its start command passes them (package.json "worker"), then extra ones, e.g. to
 * profile: BENCH_WORKER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof".
 */
function workerNodeArgs(): string[] {
  return ['--max-semi-space-size=64', ...(process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter((a) => a !== '')];
}

/** CPU used between `from` and `to` (ms since the epoch) by the samples' counters, each read linearly between samples. */
function burstCpu(
  samples: ReadonlyArray<{ at: number; workers: number | null; postgres: number | null; busy: number }>,
  from: number,
  to: number,
): { workers: number; postgres: number | null; machineBusy: number; machineCapacityMs: number } | null {
  // The sampling starts a few ms after the close (the holders and backends are read first): from there.
  from = Math.max(from, samples[0]?.at ?? from);
  if (samples.length < 2 || samples.at(-1)!.at < to || to <= from) return null;
  const at = (time: number, value: (s: (typeof samples)[number]) => number | null): number | null => {
    let k = 0;
    while (k + 2 < samples.length && samples[k + 1]!.at < time) k++;
    const a = samples[k]!;
    const b = samples[k + 1]!;
    const va = value(a);
    const vb = value(b);
    if (va === null || vb === null) return null;
    return b.at === a.at ? va : va + ((vb - va) * (time - a.at)) / (b.at - a.at);
  };
  const between = (value: (s: (typeof samples)[number]) => number | null) => {
    const start = at(from, value);
    const end = at(to, value);
    return start === null || end === null ? null : Math.round(end - start);
  };
  const workers = between((s) => s.workers);
  if (workers === null) return null;
  return {
    workers,
    postgres: between((s) => s.postgres),
    machineBusy: between((s) => s.busy)!,
    machineCapacityMs: Math.round((to - from) * os.cpus().length),
  };
}

/** USER_HZ: the unit of /proc/<pid>/stat times (100 on Linux). */
const CLK_TCK = 100;

/** Worker processes this module started and has not seen exit: killed by killWorkers() if a run is cut short. */
const liveWorkers = new Set<ChildProcess>();

export function killWorkers(): void {
  for (const child of liveWorkers) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  liveWorkers.clear();
}

/** utime + stime of a process in ms, from /proc (Linux); null when unreadable. */
export function processCpuMs(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
  } catch {
    return null;
  }
}

function machineTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const cpu of os.cpus()) {
    const t = cpu.times;
    busy += t.user + t.nice + t.sys + t.irq;
    total += t.user + t.nice + t.sys + t.irq + t.idle;
  }
  return { busy, total };
}

async function workerBackendPids(db: Db): Promise<number[]> {
  const rows = await db.execute<{ pid: number }>(
    sql`select pid from pg_stat_activity where application_name = 'cryptobot-worker' and datname = current_database()`,
  );
  return rows.map((r) => Number(r.pid));
}

function backendsCpuMs(pids: readonly number[]): Map<number, number> | null {
  const out = new Map<number, number>();
  for (const pid of pids) {
    const ms = processCpuMs(pid);
    if (ms === null) return null;
    out.set(pid, ms);
  }
  return out;
}

/** Runs fn over items with at most `width` in flight. */
async function inParallel<T>(items: readonly T[], width: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

export const DCA_PARAMS = { intervalBars: 1, amountPerBuy: 10 };
const DEPLOYMENTS_PER_USER = 10;

export function scenarioLabel(s: Pick<DeploymentScenario, 'deployments' | 'speed' | 'phases'>): string {
  const speed = s.speed === 1 ? 'real time (1 candle/min each)' : `${s.speed}× (${s.speed} candles/min each)`;
  return `${s.deployments.toLocaleString('en')} deployments, ${speed}, ${s.phases}`;
}

/**
 * Users (10 deployments each), one paper account and one DCA strategy per deployment, the deployments (replay
 * from the first stored candle at the scenario's speed), and their replay clocks: deployment i's first candle
 * (open ORIGIN_MS) closes at T0 + phase_i, T0 = now + startAllowanceMs, so no candle closes before the worker
 * holds every deployment (no catch-up inside the window). The clocks are written before any worker exists.
 */
export async function setupScenario(
  db: Db,
  s: DeploymentScenario,
  startAllowanceMs: number,
): Promise<{ ids: string[]; t0: number; setupMs: number; users: number }> {
  const setupStarted = performance.now();
  const period = MINUTE / s.speed;
  const candlesNeeded = Math.ceil((s.durationMs + startAllowanceMs + 60_000) / period) + 10;
  await storeCandles(db, candlesNeeded);
  const users = Math.ceil(s.deployments / DEPLOYMENTS_PER_USER);
  const userIds: string[] = [];
  await inParallel(
    Array.from({ length: users }, (_, u) => u),
    4,
    async (u) => {
      userIds[u] = (await registerUser(db, { username: `bench_trader_${u}`, password: randomBytes(18).toString('base64') })).id;
    },
  );
  const ids: string[] = [];
  await inParallel(
    Array.from({ length: s.deployments }, (_, i) => i),
    8,
    async (i) => {
      const userId = userIds[Math.floor(i / DEPLOYMENTS_PER_USER)]!;
      const accountId = (
        await createAccount(db, userId, { name: `bench paper ${i}`, exchange: 'paper', balances: { USDT: '10000' }, feeRate: '0.001', slippage: '0.0005' })
      ).id;
      const strategyId = await backtestedStrategy(db, userId, `bench dca ${i}`, 'dca', DCA_PARAMS);
      ids[i] = (await createDeployment(db, userId, strategyId, { accountId, mode: 'paper', feed: { type: 'replay', start: ORIGIN_MS, speed: s.speed } })).id;
    },
  );
  if (!ids.every((id) => /^[0-9a-f-]{36}$/.test(id))) throw new Error('unexpected deployment id');
  const t0 = Date.now() + startAllowanceMs;
  const wallMs = ids.map((_, i) => Math.round(t0 + (s.phases === 'staggered' ? (i / s.deployments) * period : 0) - period));
  await db.execute(sql`
    update deployments d set feed_clock = jsonb_build_object('feedTimeMs', ${ORIGIN_MS}::bigint, 'wallMs', c.wall_ms)
      from (select unnest(${sql.raw(`ARRAY[${ids.map((id) => `'${id}'::uuid`).join(',')}]`)}) as id, unnest(${sql.raw(`ARRAY[${wallMs.join(',')}]::bigint[]`)}) as wall_ms) c
     where d.id = c.id`);
  return { ids, t0, setupMs: Math.round(performance.now() - setupStarted), users };
}

/**
 * One scenario on a fresh database: users, one paper account and one DCA strategy per deployment, the
 * deployments (replay from the first stored candle), their replay clocks set so the first candle closes at T0 +
 * phase; then the worker process, the window, a snapshot of the deployments, SIGTERM, and the measurement.
 */
export async function benchDeploymentScenario(options: {
  database: BenchDatabase;
  scenario: DeploymentScenario;
  logDir: string;
  log: Log;
  startAllowanceMs: number;
}): Promise<DeploymentScenarioResult> {
  const { scenario: s, log } = options;
  const database: Database = createDatabase(options.database.url, { max: 8, applicationName: 'cryptobot-bench' });
  const db = database.db;
  try {
    const { ids, t0, setupMs, users } = await setupScenario(db, s, s.startAllowanceMs ?? options.startAllowanceMs);
    log(
      `  ${s.key}: ${s.deployments} deployments set up in ${(setupMs / 1000).toFixed(1)} s; first candle closes in ${((t0 - Date.now()) / 1000).toFixed(1)} s`,
    );

    // Every order event the worker publishes (NOTIFY, delivered at commit), by order id: when it arrived here.
    const published = new Map<string, number>();
    const listener = await database.sql.listen(EVENTS_CHANNEL, (payload) => {
      const at = Date.now();
      const event = JSON.parse(payload) as { kind?: string; orderId?: string };
      if (event.kind === 'order' && event.orderId && !published.has(event.orderId)) published.set(event.orderId, at);
    });

    // --- the worker(s)
    const workerCount = s.workers ?? 1;
    const workerIds = Array.from({ length: workerCount }, () => `bench-worker-${randomBytes(3).toString('hex')}`);
    const logFiles = workerIds.map((_, i) => path.join(options.logDir, `worker-${s.key}${workerCount > 1 ? `-${i + 1}` : ''}.log`));
    const logFile = logFiles.join(', ');
    const spawnedAt = Date.now();
    const masterKey = randomBytes(32).toString('base64');
    const workers = workerIds.map((workerId, i) => {
      const spawned = spawnTsx(path.join(ROOT, 'server/worker/main.ts'), [], {
        cwd: ROOT,
        logFile: logFiles[i]!,
        nodeArgs: workerNodeArgs(),
        env: {
          ...process.env,
          DATABASE_URL: options.database.url,
          CRYPTOBOT_MASTER_KEY: masterKey,
          WORKER_ID: workerId,
          CRYPTOBOT_SERVICE: 'worker',
          LOG_LEVEL: 'info',
        },
      });
      liveWorkers.add(spawned.child);
      void spawned.exited.then(() => liveWorkers.delete(spawned.child));
      return spawned;
    });
    const stopWorker = () => Promise.all(workers.map((w) => w.stop())).then(() => undefined);
    let exitCode: number | null | undefined;
    for (const w of workers) void w.exited.then((code) => (exitCode ??= code));
    const heldBy = async () => {
      const rows = await db.execute<{ owner: string; n: number }>(
        sql`select lease_owner as owner, count(*)::int as n from deployments where lease_owner = any(${sql.raw(`ARRAY[${workerIds.map((id) => `'${id}'`).join(',')}]::text[]`)}) group by lease_owner`,
      );
      return workerIds.map((id) => Number(rows.find((r) => r.owner === id)?.n ?? 0));
    };
    const probe = startProbe(options.database.url, t0, t0 + s.durationMs);
    try {
      let claimedAllAt: number | null = null;
      // All held, and (several workers) shared out: none holds more than an even share.
      const claimedAll = (held: number[]) => held.reduce((a, b) => a + b, 0) === s.deployments && Math.max(...held) <= Math.ceil(s.deployments / workerCount);
      while (Date.now() < t0) {
        if (exitCode !== undefined) throw new Error(`a worker exited (code ${exitCode}) before the run; see ${logFile}`);
        if (claimedAllAt === null && claimedAll(await heldBy())) claimedAllAt = Date.now();
        await settle(Math.min(100, Math.max(1, t0 - Date.now())));
      }
      const heldAtT0 = await heldBy();
      const pidsAtStart = await workerBackendPids(db);
      const pgStart = backendsCpuMs(pidsAtStart);
      const workersCpuMs = () => {
        const each = workers.map((w) => (w.child.pid ? processCpuMs(w.child.pid) : null));
        return each.includes(null) ? null : (each as number[]).reduce((a, b) => a + b, 0);
      };
      const workerCpuStart = workersCpuMs();
      const machineStart = machineTimes();
      const windowStarted = Date.now();
      // The burst's CPU: a sample every 50 ms for the first 5 s after the close (the aligned burst is within them).
      const burstSamples: Array<{ at: number; workers: number | null; postgres: number | null; busy: number }> = [];
      const sampleBurst = () => {
        const pg = backendsCpuMs(pidsAtStart);
        burstSamples.push({
          at: Date.now(),
          workers: workersCpuMs(),
          postgres: pg ? [...pg.values()].reduce((a, b) => a + b, 0) : null,
          busy: machineTimes().busy,
        });
      };
      sampleBurst();
      const burstSampler = setInterval(() => {
        sampleBurst();
        if (Date.now() > t0 + 5_000) clearInterval(burstSampler);
      }, 50);

      const end = t0 + s.durationMs;
      while (Date.now() < end) {
        if (exitCode !== undefined) throw new Error(`a worker exited (code ${exitCode}) during the run; see ${logFile}`);
        if (claimedAllAt === null && claimedAll(await heldBy())) claimedAllAt = Date.now();
        await settle(Math.min(claimedAllAt === null ? 100 : 1_000, Math.max(1, end - Date.now())));
      }
      const endedAt = Date.now();
      clearInterval(burstSampler);
      const probeMs = await probe.stop();
      const workerCpuEnd = workersCpuMs();
      const pgEnd = backendsCpuMs(await workerBackendPids(db));
      const machineEnd = machineTimes();
      const snapshot = await db
        .select({
          id: deployments.id,
          lastBarTime: deployments.lastBarTime,
          feedClock: deployments.feedClock,
          feed: deployments.feed,
          state: deployments.state,
        })
        .from(deployments)
        .where(inArray(deployments.id, ids));
      await stopWorker();

      // --- measurement
      const windowMs = endedAt - windowStarted;
      const acked = await db
        .select({
          id: orders.id,
          deploymentId: orders.deploymentId,
          status: orders.status,
          createdAt: orders.createdAt,
          updatedAt: orders.updatedAt,
          executedAt: fills.executedAt,
        })
        .from(orders)
        .leftJoin(fills, eq(fills.orderId, orders.id))
        .where(inArray(orders.deploymentId, ids));
      const clockOf = new Map(snapshot.map((d) => [d.id, d]));
      const closeWall = (id: string, closeFeedMs: number) => {
        const d = clockOf.get(id)!;
        return d.feedClock!.wallMs + (closeFeedMs - d.feedClock!.feedTimeMs) / (d.feed.speed ?? 1);
      };
      // Orders whose deciding candle closed in [T0, end − 5 s]; one per candle close (DCA buys on every candle).
      const windowEnd = endedAt - 5_000;
      const latencies: number[] = [];
      const toTransaction: number[] = [];
      const inTransaction: number[] = [];
      const committed: number[] = [];
      const seen = new Set<string>();
      let notFilled = 0;
      let ackedInWindow = 0;
      for (const o of acked) {
        if (o.status !== 'filled' || !o.executedAt) {
          notFilled++;
          continue;
        }
        const close = closeWall(o.deploymentId!, o.executedAt.getTime());
        if (close < t0 - 1 || close > windowEnd) continue;
        seen.add(`${o.deploymentId}|${o.executedAt.getTime()}`);
        latencies.push(o.updatedAt.getTime() - close);
        toTransaction.push(o.createdAt.getTime() - close);
        inTransaction.push(o.updatedAt.getTime() - o.createdAt.getTime());
        const at = published.get(o.id);
        if (at !== undefined) committed.push(at - close);
        ackedInWindow++;
      }
      let expected = 0;
      let missing = 0;
      for (const d of snapshot) {
        const step = MINUTE;
        for (let close = ORIGIN_MS + step; ; close += step) {
          const wall = closeWall(d.id, close);
          if (wall > windowEnd) break;
          if (wall < t0 - 1) continue;
          expected++;
          if (!seen.has(`${d.id}|${close}`)) {
            missing++;
            latencies.push(endedAt - wall);
          }
        }
      }
      let maxBehind = 0;
      let behind = 0;
      for (const d of snapshot) {
        const feedAt = d.feedClock!.feedTimeMs + Math.max(0, endedAt - 1_000 - d.feedClock!.wallMs) * (d.feed.speed ?? 1);
        const lastClosedOpen = Math.floor(feedAt / MINUTE) * MINUTE - MINUTE;
        const processed = d.lastBarTime ?? ORIGIN_MS - MINUTE;
        const n = Math.max(0, Math.round((lastClosedOpen - processed) / MINUTE));
        if (n > 0) behind++;
        maxBehind = Math.max(maxBehind, n);
      }
      const errorLines = logFiles.flatMap((file) => fs.readFileSync(file, 'utf8').split('\n')).filter((line) => /"level":(50|60)/.test(line)).length;
      let postgresPercent: number | null = null;
      if (pgStart && pgEnd) {
        let ms = 0;
        for (const [pid, endMs] of pgEnd) ms += endMs - (pgStart.get(pid) ?? 0);
        postgresPercent = roundTo((100 * ms) / windowMs, 3);
      }
      const machineBusy = (100 * (machineEnd.busy - machineStart.busy)) / Math.max(1, machineEnd.total - machineStart.total);
      const summary =
        latencies.length > 0 ? latencySummary(latencies) : { samples: 0, p50Ms: Number.NaN, p90Ms: Number.NaN, p99Ms: Number.NaN, maxMs: Number.NaN };
      return {
        key: s.key,
        label: scenarioLabel(s),
        deployments: s.deployments,
        speed: s.speed,
        phases: s.phases,
        judged: s.judged,
        targetP99Ms: s.targetP99Ms ?? DEPLOYMENT_LATENCY_TARGET_MS,
        workers: workerCount,
        offeredOrdersPerSecond: roundTo((s.deployments * s.speed) / 60, 4),
        windowMs,
        setup: { ms: setupMs, accounts: 'one paper account per deployment (10,000 USDT each)', users, strategy: { type: 'dca', params: DCA_PARAMS } },
        worker: {
          command: `node --import tsx server/worker/main.ts (all loops, default options)${workerCount > 1 ? `, ${workerCount} processes` : ''}`,
          claimedAllAfterMs: claimedAllAt === null ? null : claimedAllAt - spawnedAt,
          claimedAllBeforeT0Ms: claimedAllAt === null ? null : t0 - claimedAllAt,
          heldAtT0,
          errorLines,
          logFile,
        },
        orders: { expected, acknowledged: ackedInWindow, notFilled, missing, perSecond: roundTo(ackedInWindow / ((windowEnd - t0) / 1000), 4) },
        latencyMs: { ...summary, lowerBound: missing > 0 },
        burst:
          s.phases === 'aligned' && summary.samples > 0
            ? {
                drainMs: summary.maxMs,
                ordersPerSecond: roundTo(s.deployments / (summary.maxMs / 1000), 4),
                cpuMs: burstCpu(burstSamples, t0, t0 + summary.maxMs),
              }
            : null,
        committedLatencyMs: committed.length > 0 ? latencySummary(committed) : null,
        probeMs: probeMs.length > 0 ? latencySummary(probeMs) : null,
        breakdownMs: {
          closeToTransaction: toTransaction.length > 0 ? latencySummary(toTransaction) : null,
          transactionToAck: inTransaction.length > 0 ? latencySummary(inTransaction) : null,
        },
        lag: { maxCandles: maxBehind, deploymentsBehind: behind },
        cpu: {
          workerPercent: workerCpuStart !== null && workerCpuEnd !== null ? roundTo((100 * (workerCpuEnd - workerCpuStart)) / windowMs, 3) : null,
          postgresPercent,
          machineBusyPercent: roundTo(machineBusy, 3),
        },
      };
    } finally {
      await stopWorker();
      await probe.stop();
      await listener.unlisten().catch(() => {});
    }
  } finally {
    await database.close().catch(() => {});
  }
}

/**
 * The reference probe: from `from` to `until`, every PROBE_INTERVAL_MS, wake at the scheduled time and commit a bare
 * insert … returning + update of a one-row table on its own connection; the latencies are commit − scheduled time.
 */
const PROBE_INTERVAL_MS = 100;

function startProbe(url: string, from: number, until: number): { stop(): Promise<number[]> } {
  const database = createDatabase(url, { max: 1, applicationName: 'cryptobot-bench-probe' });
  const db = database.db;
  const latencies: number[] = [];
  let stopped = false;
  let closed = false;
  const run = (async () => {
    await db.execute(sql`create table if not exists bench_probe_rows (id bigserial primary key, scheduled_ms bigint not null)`);
    await db.execute(sql`create table if not exists bench_probe_counter (id integer primary key, n bigint not null)`);
    await db.execute(sql`insert into bench_probe_counter values (1, 0) on conflict do nothing`);
    // Scheduled times on the wall clock, converted once to the monotonic clock for sub-millisecond latencies.
    const offset = Date.now() - performance.now();
    for (let k = 0; !stopped; k++) {
      const scheduled = from + k * PROBE_INTERVAL_MS - offset;
      if (scheduled + offset > until) break;
      const wait = scheduled - performance.now();
      if (wait > 0) await settle(wait);
      if (stopped) break;
      await db.transaction(async (tx) => {
        await tx.execute(sql`insert into bench_probe_rows (scheduled_ms) values (${Math.round(scheduled + offset)}) returning id`);
        await tx.execute(sql`update bench_probe_counter set n = n + 1 where id = 1`);
      });
      latencies.push(performance.now() - scheduled);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await run.catch(() => {});
      if (!closed) {
        closed = true;
        await database.close().catch(() => {});
      }
      return latencies;
    },
  };
}
