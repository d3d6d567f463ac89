import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { backtests, jobs } from '@/db/schema';
import { registerUser } from '@/server/services/auth/users';
import { upsertCandles } from '@/server/services/market-data/candles';
import { createStrategyForUser } from '@/server/services/strategies/strategies';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { fixtureRows } from '@/server/testing/fixtures';
import { createBacktest } from './backtests';
import { storedByTheWorker } from './chart-window';
import { runBacktestJob } from './run-job';

let t: TestDatabase;
const market = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' };

beforeAll(async () => {
  t = await createTestDatabase();
  await upsertCandles(t.db, market, fixtureRows('btc-usd-1h'));
}, 60_000);
afterAll(async () => {
  await t?.destroy();
});

const readRow = async (id: string) =>
  (await t.db.select({ status: backtests.status, chartStore: backtests.chartStore }).from(backtests).where(eq(backtests.id, id)))[0]!;

describe("a backtest's stored chart", () => {
  const newRun = async (username: string) => {
    const { id: userId } = await registerUser(t.db, { username, password: 'long enough pw 1' });
    const strategy = await createStrategyForUser(t.db, userId, { name: 'sma', type: 'sma_crossover', params: { fastPeriod: 10, slowPeriod: 30 }, ...market });
    const { id } = await createBacktest(t.db, userId, {
      strategyId: strategy.id,
      start: Date.parse('2018-01-01T00:00:00Z'),
      end: Date.parse('2018-02-01T00:00:00Z'),
      initialCapital: 10_000,
      feeRate: 0.001,
      slippage: 0.0005,
    });
    return { userId, id };
  };

  it('is stored right after the completion, which does not wait for it (a REST client sees "completed" first)', async () => {
    const { userId, id } = await newRun('store-alice');
    // Another session holds the chart store's table: the job's store waits for it, and meanwhile we look at the run.
    const blocker = postgres(t.url, { max: 1, onnotice: () => {} });
    const held = await blocker.reserve();
    await held`begin`;
    await held`lock table backtest_chart_chunks in share mode`;
    let job: Promise<unknown> | undefined;
    try {
      job = runBacktestJob({
        db: t.db,
        job: { userId } as never,
        payload: { backtestId: id },
        workerId: 'store-test',
        signal: new AbortController().signal,
        progress: async () => {},
      });
      await expect
        .poll(
          async () =>
            (
              await t.db.execute<{ waiting: number }>(
                "select count(*)::int as waiting from pg_locks l join pg_class c on c.oid = l.relation where c.relname = 'backtest_chart_chunks' and not l.granted",
              )
            )[0]!.waiting,
          { timeout: 30_000 },
        )
        .toBeGreaterThan(0);
      const whileStoring = await readRow(id);
      expect(whileStoring.status, 'the results committed before the chart store').toBe('completed');
      expect(whileStoring.chartStore).toBeNull();
    } finally {
      await held`commit`;
      held.release();
      await job;
      await blocker.end();
    }
    const done = await readRow(id);
    expect(done.chartStore?.plots, 'then stored by the worker, plots and all').toEqual(['fast_ma', 'slow_ma']);
  });

  it("a chart request while the run's job still runs waits for the worker's store instead of storing it again", async () => {
    const { id } = await newRun('store-bob');
    const [run] = await t.db.select({ jobId: backtests.jobId }).from(backtests).where(eq(backtests.id, id));
    await t.db.update(jobs).set({ status: 'running' }).where(eq(jobs.id, run!.jobId!));
    const waiting = storedByTheWorker(t.db, id, run!.jobId);
    // What the worker stores (a header no store of this process would write, so the answer can only be the worker's).
    const header = { version: 1, timeframeMs: 3_600_000, plots: ['from-the-worker'], levels: [], segments: [] };
    await t.db.update(backtests).set({ chartStore: header }).where(eq(backtests.id, id));
    expect(await waiting).toEqual(header);

    // Once the job ended without a stored chart (its store failed), the request stores it itself: no waiting.
    await t.db.update(backtests).set({ chartStore: null }).where(eq(backtests.id, id));
    await t.db.update(jobs).set({ status: 'completed' }).where(eq(jobs.id, run!.jobId!));
    expect(await storedByTheWorker(t.db, id, run!.jobId)).toBeNull();
  });
});
