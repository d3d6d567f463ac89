/**
 * Signals in (issue 17): signal received → paper order acknowledged, p95 ≤ 100 ms on localhost.
 * A section of `npm run bench` (--only=signals), also standalone:
 *
 *   npx tsx server/cli/with-test-db.ts tsx bench/signals.ts [signals=400] [deployments=8]
 *
 * On a fresh database: `deployments` signal deployments, each on its own paper account, with their secrets. Signals go
 * round-robin over them, one at a time, through receiveSignal (the service the REST route calls with the request's
 * text: secret check, throttle, body, the fenced transaction with the kill switch and risk rules, executeOrder, the
 * signal row); latency is from the call to its answer (the order, filled, committed). Alternate buys and exits, and
 * every 10th signal is sent twice: the correctness check is that every distinct signal id made exactly one order and
 * every duplicate was answered as one.
 */
import { performance } from 'node:perf_hooks';
import { eq, sql } from 'drizzle-orm';
import { createDatabase } from '../db/client';
import { orders } from '../db/schema';
import { createAccount } from '../server/services/accounts';
import { registerUser } from '../server/services/auth/users';
import { createDeployment } from '../server/services/deployments';
import { receiveSignal, rotateSignalSecret } from '../server/services/signals';
import { createStrategyForUser } from '../server/services/strategies/strategies';
import type { CheckResult } from './lib/parity';
import { percentileOfSorted } from './lib/stats';

export const SIGNAL_TARGET_P95_MS = 100;

export interface SignalBenchResult {
  signals: number;
  duplicates: number;
  deployments: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  targetP95Ms: number;
  pass: boolean;
  method: string;
}

export async function benchSignals(options: { url: string; signals: number; deployments: number; log: (line: string) => void }): Promise<{
  result: SignalBenchResult;
  checks: CheckResult[];
}> {
  const database = createDatabase(options.url);
  const db = database.db;
  try {
    const userId = (await registerUser(db, { username: `bench-signals-${Date.now().toString(36)}`, password: 'long enough pw' })).id;
    const prices = { latest: async () => ({ price: 100, timeMs: Date.now(), source: 'bench' }), candlesSince: async () => [] };
    const desks: { id: string; secret: string }[] = [];
    for (let d = 0; d < options.deployments; d++) {
      const accountId = (await createAccount(db, userId, { name: `signals ${d}`, exchange: 'paper', balances: { USDT: '100000000' } })).id;
      const strategy = await createStrategyForUser(db, userId, {
        name: `signals ${d}`,
        type: 'signal',
        params: {},
        exchange: 'binance',
        symbol: 'BTC/USDT',
        timeframe: '1h',
      });
      const deployment = await createDeployment(db, userId, strategy.id, { accountId, mode: 'paper' });
      desks.push({ id: deployment.id, secret: (await rotateSignalSecret(db, userId, deployment.id)).secret });
    }
    const latencies: number[] = [];
    let duplicates = 0;
    let duplicatesAnswered = 0;
    let wrongStatus = 0;
    const sent = new Set<string>();
    for (let i = 0; i < options.signals; i++) {
      const desk = desks[i % desks.length]!;
      const round = Math.floor(i / desks.length);
      const body = JSON.stringify({ action: round % 2 === 0 ? 'buy' : 'exit', symbol: 'BTC/USDT', size: '0.01', id: `s${i}`, time: Date.now() });
      const opts = { throttle: { limit: 1_000_000, windowMs: 60_000 }, orderDeps: { prices: () => prices } };
      const started = performance.now();
      const answer = await receiveSignal(db, desk.id, desk.secret, body, opts);
      latencies.push(performance.now() - started);
      if (answer.status !== 201) wrongStatus++;
      sent.add(`${desk.id}:s${i}`);
      if (i % 10 === 0) {
        duplicates++;
        const again = await receiveSignal(db, desk.id, desk.secret, body, opts);
        if (again.status === 200 && again.body.duplicate === true) duplicatesAnswered++;
      }
    }
    const counts = await db
      .select({ deploymentId: orders.deploymentId, n: sql<number>`count(*)::int` })
      .from(orders)
      .where(eq(orders.userId, userId))
      .groupBy(orders.deploymentId);
    const totalOrders = counts.reduce((sum, c) => sum + c.n, 0);
    const sorted = [...latencies].sort((a, b) => a - b);
    const round = (v: number) => Number(v.toFixed(2));
    const p95 = percentileOfSorted(sorted, 95);
    const result: SignalBenchResult = {
      signals: options.signals,
      duplicates,
      deployments: options.deployments,
      p50Ms: round(percentileOfSorted(sorted, 50)),
      p95Ms: round(p95),
      p99Ms: round(percentileOfSorted(sorted, 99)),
      maxMs: round(sorted.at(-1) ?? 0),
      targetP95Ms: SIGNAL_TARGET_P95_MS,
      pass: p95 <= SIGNAL_TARGET_P95_MS,
      method:
        'in one process on a fresh database: receiveSignal (what POST /api/v1/signals/{id} calls with the request text) from the call to its answer (order filled and committed), one signal at a time, round-robin over the deployments, alternating buy and exit; HTTP parsing excluded',
    };
    const checks: CheckResult[] = [
      {
        name: 'signals: exactly one order per signal',
        ok: totalOrders === sent.size && wrongStatus === 0,
        detail: `${sent.size} distinct signals → ${totalOrders} orders; ${wrongStatus} answered other than 201`,
      },
      {
        name: 'signals: duplicates answered, never traded',
        ok: duplicatesAnswered === duplicates,
        detail: `${duplicatesAnswered} of ${duplicates} repeated signals answered as duplicates`,
      },
    ];
    options.log(`  signals: p50 ${result.p50Ms} ms, p95 ${result.p95Ms} ms (target ≤ ${SIGNAL_TARGET_P95_MS}), ${totalOrders} orders for ${sent.size} signals`);
    return { result, checks };
  } finally {
    await database.close();
  }
}

// Standalone: npx tsx server/cli/with-test-db.ts tsx bench/signals.ts [signals] [deployments]
if (import.meta.url === `file://${process.argv[1]}`) {
  const { createTestDatabase } = await import('../server/testing/db');
  const t = await createTestDatabase();
  try {
    const { result, checks } = await benchSignals({
      url: t.url,
      signals: Number(process.argv[2] ?? 400),
      deployments: Number(process.argv[3] ?? 8),
      log: console.log,
    });
    console.log(JSON.stringify({ bench: 'signals', ...result, checks }));
    process.exitCode = checks.every((c) => c.ok) ? 0 : 1;
  } finally {
    await t.destroy();
  }
}
