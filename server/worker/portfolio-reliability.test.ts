/**
 * A pair-list deployment under kill -9, with real worker processes on a real PostgreSQL (the single-symbol
 * version is reliability.test.ts, whose rules this follows): workers killed at random moments and at the named
 * crash points while a three-pair replay trades; then a fault-free worker finishes it. Nothing may be sent twice or
 * lost, and the fills must be the portfolio backtest's of the same candles, pair for pair.
 */
import { randomBytes } from 'node:crypto';
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alerts, fills, orders, paperBalances } from '@/db/schema';
import { runPortfolioBacktest } from '@/server/core/backtest/portfolio';
import { sliceByTime, type CandleSeries, type OhlcvRow } from '@/server/core/candles';
import { createStrategy } from '@/server/core/strategies/registry';
import { createAccount } from '@/server/services/accounts';
import { registerUser } from '@/server/services/auth/users';
import { createDeployment, getDeployment, pauseDeployment, resumeDeployment } from '@/server/services/deployments';
import { upsertCandles } from '@/server/services/market-data/candles';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { sentAcks, sleep, within, workerProcesses } from '@/server/testing/worker-process';
import { fixtureSeries } from '@/server/testing/fixtures';
import { createDeployableStrategy } from '@/server/testing/strategies/deployable';

const masterKey = randomBytes(32).toString('base64');
const DAY = 86_400_000;
const PARAMS = { fastPeriod: 5, slowPeriod: 13, stopLossPct: 3, takeProfitPct: 6 };
const CAPITAL = { maxOpenPositions: 2, stake: { type: 'equal_split' as const }, priority: 'list' as const };
const btc = fixtureSeries('btc-usd-4h');
const eth = fixtureSeries('eth-usd-4h');
const start = Math.max(btc.time[0]!, eth.time[0]!) + 600 * DAY;
const end = start + 90 * DAY;
function scaled(series: CandleSeries, k: number, skipEvery: number): CandleSeries {
  const keep: number[] = [];
  for (let i = 0; i < series.length; i++) if (i % skipEvery !== 2) keep.push(i);
  const pick = (column: Float64Array, m = 1) => Float64Array.from(keep, (i) => column[i]! * m);
  return {
    length: keep.length,
    time: pick(series.time),
    open: pick(series.open, k),
    high: pick(series.high, k),
    low: pick(series.low, k),
    close: pick(series.close, k),
    volume: pick(series.volume),
  };
}
const pairs: Array<[string, CandleSeries]> = [
  ['BTC/USDT', sliceByTime(btc, start, end)],
  ['ETH/USDT', sliceByTime(eth, start, end)],
  ['SOL/USDT', scaled(sliceByTime(eth, start, end), 0.05, 5)],
];
const rowsOf = (s: CandleSeries): OhlcvRow[] =>
  Array.from({ length: s.length }, (_, i) => [s.time[i]!, s.open[i]!, s.high[i]!, s.low[i]!, s.close[i]!, s.volume[i]!]);

let t: TestDatabase;
let userId: string;
const workers = workerProcesses(() => ({ databaseUrl: t.url, masterKey, leaseMs: 1500 }));
const startWorker = workers.start;

beforeAll(async () => {
  t = await createTestDatabase();
  userId = (await registerUser(t.db, { username: 'pairs-reliable', password: 'correct horse battery' })).id;
  for (const [symbol, series] of pairs) await upsertCandles(t.db, { exchange: 'binance', symbol, timeframe: '4h' }, rowsOf(series));
}, 60_000);

afterAll(async () => {
  workers.killAll();
  await t?.destroy();
});

describe('kill -9 while a pair-list replay trades', () => {
  it('no clientOrderId sent twice, no fill applied twice, balances per asset = fills, fills = the portfolio backtest', async () => {
    const accountId = (
      await createAccount(t.db, userId, { name: 'pairs', exchange: 'paper', balances: { USDT: '10000' }, feeRate: '0.001', slippage: '0.0005' })
    ).id;
    const strategy = await createDeployableStrategy(t.db, userId, {
      name: 'pairs kill -9',
      type: 'sma_crossover',
      params: PARAMS,
      exchange: 'binance',
      symbols: pairs.map(([symbol]) => symbol),
      timeframe: '4h',
      capital: CAPITAL,
    });
    // 540 four-hour steps at 400,000x (36 ms each), advancing only while a ready worker runs.
    const deploymentId = (await createDeployment(t.db, userId, strategy.id, { accountId, mode: 'paper', feed: { type: 'replay', speed: 400_000 } })).id;
    await pauseDeployment(t.db, userId, deploymentId);
    const backtest = runPortfolioBacktest(
      pairs.map(([symbol, series]) => ({ symbol, series, strategy: createStrategy('sma_crossover', PARAMS) })),
      { initialCapital: 10_000, feeRate: 0.001, slippage: 0.0005, timeframe: '4h', ...CAPITAL },
    );
    const expected = backtest.markers.filter((m) => m.reason !== 'end');
    expect(new Set(expected.map((m) => m.symbol)).size, 'every pair trades').toBe(3);

    const plan = ['', 'order.after_write', 'deployment.after_commit'];
    let deaths = 0;
    for (let round = 0; round < plan.length; round++) {
      const before = await getDeployment(t.db, userId, deploymentId);
      expect(before.state, 'paused between workers').toBe('paused');
      const lastBar = before.lastBarTime ? Date.parse(before.lastBarTime) : 0;
      let point = plan[round]!;
      if (point.startsWith('order.') && !expected.some((m) => m.time > lastBar + 2 * 4 * 3_600_000)) point = 'deployment.after_commit';
      const worker = startWorker(`w-pairs-${round}`, point ? { CRYPTOBOT_CRASH_POINTS: point, CRYPTOBOT_CRASH_PROBABILITY: '1' } : {});
      await within(worker.ready, 180_000, `worker ${round} ready`);
      await resumeDeployment(t.db, userId, deploymentId);
      if (point) {
        const outcome = await within(worker.exited, 120_000, `worker ${round} dies at ${point}`);
        expect(outcome.signal, `died at ${point}: ${worker.output().slice(-2000)}`).toBe('SIGKILL');
      } else {
        const outcome = await Promise.race([worker.exited, sleep(800 + Math.floor(Math.random() * 1200)).then(() => null)]);
        expect(outcome, `a worker without crash points lives until killed: ${worker.output().slice(-2000)}`).toBeNull();
        worker.child.kill('SIGKILL');
        await worker.exited;
      }
      deaths++;
      const after = await getDeployment(t.db, userId, deploymentId);
      if (after.state === 'completed') break;
      expect(after.state).toBe('running');
      await pauseDeployment(t.db, userId, deploymentId);
    }
    const final = startWorker('w-pairs-final');
    await within(final.ready, 180_000, 'the final worker ready');
    if ((await getDeployment(t.db, userId, deploymentId)).state === 'paused') await resumeDeployment(t.db, userId, deploymentId);
    await expect.poll(async () => (await getDeployment(t.db, userId, deploymentId)).state, { timeout: 120_000, interval: 250 }).toBe('completed');
    final.child.kill('SIGTERM');
    expect((await final.exited).code).toBe(0);
    expect(deaths, 'a worker died in every round').toBeGreaterThanOrEqual(2);

    const placed = await t.db.select().from(orders).where(eq(orders.deploymentId, deploymentId));
    const sent = await sentAcks(
      t.db,
      placed.map((o) => o.id),
    );
    expect(
      sent.every((s) => s.n === 1),
      'each order was acknowledged (sent) exactly once',
    ).toBe(true);
    expect(new Set(placed.map((o) => o.clientOrderId)).size, 'no clientOrderId twice').toBe(placed.length);
    expect(
      placed.filter((o) => o.status !== 'filled').map((o) => [o.symbol, o.side, o.status, o.statusReason]),
      'every order filled',
    ).toEqual([]);
    const raised = await t.db.select({ kind: alerts.kind, message: alerts.message }).from(alerts).where(eq(alerts.deploymentId, deploymentId));
    expect(
      raised.filter((a) => a.kind !== 'deployment_completed'),
      'nothing refused',
    ).toEqual([]);
    const fillRows = await t.db
      .select({ symbol: orders.symbol, side: orders.side, orderId: fills.orderId, quantity: fills.quantity, price: fills.price, executedAt: fills.executedAt })
      .from(fills)
      .innerJoin(orders, eq(orders.id, fills.orderId))
      .where(eq(fills.accountId, accountId))
      .orderBy(asc(fills.executedAt), asc(fills.id));
    expect(new Set(fillRows.map((f) => f.orderId)).size, 'one fill per market order').toBe(fillRows.length);

    const view = await getDeployment(t.db, userId, deploymentId);
    for (const [symbol] of pairs) {
      const asset = symbol.split('/')[0]!;
      const implied = fillRows.filter((f) => f.symbol === symbol).reduce((q, f) => q + (f.side === 'buy' ? 1 : -1) * Number(f.quantity), 0);
      const [balance] = await t.db
        .select()
        .from(paperBalances)
        .where(and(eq(paperBalances.accountId, accountId), eq(paperBalances.asset, asset)));
      expect(Number(balance?.free ?? 0), `${asset} balance = its fills`).toBeCloseTo(implied, 12);
      expect(Number(view.positions.find((p) => p.symbol === symbol)!.quantity), `${symbol}: the position = its fills`).toBeCloseTo(implied, 12);
    }

    expect(
      fillRows.map((f) => [f.symbol, f.side, f.executedAt.getTime()]),
      'fills at the backtest trade times, pair for pair',
    ).toEqual(expected.map((m) => [m.symbol, m.side, m.time]));
    for (let k = 0; k < expected.length; k++) {
      expect(Math.abs(Number(fillRows[k]!.price) - expected[k]!.price) / expected[k]!.price).toBeLessThan(1e-9);
      expect(Math.abs(Number(fillRows[k]!.quantity) - expected[k]!.quantity) / expected[k]!.quantity).toBeLessThan(1e-9);
    }
  }, 900_000);
});
