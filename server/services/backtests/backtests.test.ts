/* eslint-disable no-restricted-imports -- these tests drive the real worker job runner in-process */
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backtests, jobs } from '@/db/schema';
import { ENGINE_VERSION, runBacktest } from '@/server/core/backtest';
import { AppError } from '@/server/core/errors';
import { floatToDecimalString } from '@/server/core/money/decimal';
import { createStrategy } from '@/server/core/strategies';
import { registerUser } from '@/server/services/auth/users';
import { JobInterrupted, type JobHandler } from '@/server/services/jobs/contract';
import { claimJob } from '@/server/services/jobs/queue';
import { readCandleSeries, upsertCandles } from '@/server/services/market-data/candles';
import { createStrategyForUser, getStrategyForUser } from '@/server/services/strategies/strategies';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { fixtureRows } from '@/server/testing/fixtures';
import { logger } from '@/server/logger';
import { createJobRunner } from '@/server/worker/job-runner';
import { EVENTS_CHANNEL, parseAppEvent } from '@/server/services/events';
import {
  BACKTEST_JOB_TYPE,
  cancelBacktestForUser,
  createBacktest,
  getBacktestEquity,
  getBacktestForUser,
  getBacktestSummary,
  listBacktestsForUser,
} from './backtests';
import { TRADES_CSV_HEADER, tradesCsv } from '@/components/backtests/trades-csv';
import { backtestRunHandler } from './run-job';
import { createSweepHandler } from './sweep-job';
import { cancelSweepForUser, createSweep, getSweepForUser, SWEEP_JOB_TYPE } from './sweeps';

let t: TestDatabase;
let alice: string;
let bob: string;
const market = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' };
const START = Date.parse('2018-01-01T00:00:00Z');
const END = Date.parse('2018-02-01T00:00:00Z');
const config = { initialCapital: 10_000, feeRate: 0.001, slippage: 0.0005 };

const HANDLERS: Record<string, JobHandler> = { [BACKTEST_JOB_TYPE]: backtestRunHandler, [SWEEP_JOB_TYPE]: createSweepHandler({ threads: 2 }) };

beforeAll(async () => {
  t = await createTestDatabase();
  alice = (await registerUser(t.db, { username: 'bt-alice', password: 'long enough pw' })).id;
  bob = (await registerUser(t.db, { username: 'bt-bob', password: 'long enough pw' })).id;
  // Real Coinbase BTC/USD 1h candles (2017-07 → 2019-10), stored under this test's series key.
  await upsertCandles(t.db, market, fixtureRows('btc-usd-1h'));
}, 60_000);
afterAll(() => t.destroy());

/** Runs the real job runner loop in-process as `workerId` until `done()` holds, then stops it. */
async function runWorkerUntil(workerId: string, done: () => Promise<boolean>, leaseMs = 30_000): Promise<void> {
  const controller = new AbortController();
  const runner = createJobRunner(HANDLERS, { pollMs: 50, leaseMs });
  const stop = await runner.start({ database: t, workerId, logger, signal: controller.signal });
  try {
    for (let i = 0; i < 600 && !(await done()); i++) await new Promise((r) => setTimeout(r, 50));
  } finally {
    controller.abort();
    await stop();
  }
}

const finished = (userId: string, id: string) => async () => ['completed', 'failed', 'canceled'].includes((await getBacktestForUser(t.db, userId, id)).status);

async function appError(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, 'the call must fail with an AppError').toBeInstanceOf(AppError);
  return error as AppError;
}

describe('backtest.run job', () => {
  it('queues, runs on the worker and stores exactly what runBacktest gives on the same candles', async () => {
    const strategy = await createStrategyForUser(t.db, alice, { name: 'SMA', type: 'sma_crossover', params: { fastPeriod: 10, slowPeriod: 30 }, ...market });
    const queued = await createBacktest(t.db, alice, { strategyId: strategy.id, start: START, end: END, ...config });
    expect(queued.status).toBe('queued');
    const [job] = await t.db
      .select()
      .from(jobs)
      .where(eq(jobs.payload, { backtestId: queued.id }));
    expect(job?.type, 'one backtest.run job carries the backtest').toBe('backtest.run');

    await runWorkerUntil('worker-a', finished(alice, queued.id));
    const stored = await getBacktestForUser(t.db, alice, queued.id);
    expect(stored.status, stored.error ?? '').toBe('completed');

    const series = await readCandleSeries(t.db, market, START, END);
    const expected = runBacktest(series, createStrategy('sma_crossover', strategy.params), { ...config, timeframe: '1h' });
    expect(expected.trades.length, 'the real data trades').toBeGreaterThan(5);
    expect(stored.metrics, 'metrics equal the engine on the full series').toEqual(expected.metrics);
    expect(stored.barCount).toBe(series.length);
    const decimal = floatToDecimalString;
    expect(stored.trades, 'the engine trades, as decimal strings').toEqual(
      expected.trades.map((tr) => ({
        ...tr,
        entryTime: new Date(tr.entryTime).toISOString(),
        exitTime: new Date(tr.exitTime).toISOString(),
        entryPrice: decimal(tr.entryPrice),
        exitPrice: decimal(tr.exitPrice),
        quantity: decimal(tr.quantity),
        fee: decimal(tr.fee),
        pnl: decimal(tr.pnl),
        pnlPct: decimal(tr.pnlPct),
        symbol: market.symbol,
      })),
    );
    expect(stored.engineVersion, 'the engine version that computed it').toBe(ENGINE_VERSION);
    expect(stored.params).toEqual(strategy.params);
    expect((await getStrategyForUser(t.db, alice, strategy.id)).status, 'a completed backtest makes the strategy backtested').toBe('backtested');

    const chart = await getBacktestEquity(t.db, alice, queued.id);
    expect(chart.time.length, 'a small series is charted bar by bar').toBe(series.length);
    expect(chart.equity.at(-1)).toBe(expected.equity[series.length - 1]);
    expect(Math.max(...chart.drawdownPct), 'the chart drawdown peaks at the metric').toBeCloseTo(expected.metrics.maxDrawdownPct, 9);
    expect((await listBacktestsForUser(t.db, alice, { strategyId: strategy.id })).map((b) => b.id)).toEqual([queued.id]);
  });

  it("announces each status through its job's events only once the row has it (what a page refetches on an event is current)", async () => {
    const strategy = await createStrategyForUser(t.db, alice, { name: 'Events', type: 'sma_crossover', params: { fastPeriod: 10, slowPeriod: 30 }, ...market });
    const queued = await createBacktest(t.db, alice, { strategyId: strategy.id, start: START, end: END, ...config });
    const [job] = await t.db
      .select({ id: jobs.id })
      .from(jobs)
      .where(eq(jobs.payload, { backtestId: queued.id }));
    const seen: Array<{ job: string; row: string }> = [];
    const reads: Array<Promise<void>> = [];
    const listener = await t.sql.listen(EVENTS_CHANNEL, (payload) => {
      const event = parseAppEvent(payload);
      if (event?.kind !== 'job' || event.jobId !== job!.id) return;
      reads.push(getBacktestSummary(t.db, alice, queued.id).then((row) => void seen.push({ job: event.status, row: row.status })));
    });
    try {
      await runWorkerUntil('worker-events', finished(alice, queued.id));
      await expect.poll(() => seen.some((s) => s.job === 'completed'), { message: 'the completion is announced' }).toBe(true);
      await Promise.all(reads);
    } finally {
      await listener.unlisten();
    }
    expect(
      seen.filter((s) => s.job === 'running').every((s) => s.row !== 'queued'),
      'a progress event finds the row started',
    ).toBe(true);
    expect(seen.find((s) => s.job === 'completed')?.row, 'the completion event finds the row completed').toBe('completed');
  });

  it('is picked up and completed by another worker when the worker that claimed it died (expired lease)', async () => {
    const strategy = await createStrategyForUser(t.db, alice, { name: 'RSI', type: 'rsi', params: {}, ...market });
    const queued = await createBacktest(t.db, alice, { strategyId: strategy.id, start: START, end: END, ...config });
    const dead = await claimJob(t.db, 'dead-worker', [BACKTEST_JOB_TYPE], 30_000);
    expect(dead?.payload).toEqual({ backtestId: queued.id });
    // The dead worker had started: its row says running; then it vanished without a word.
    await t.db.update(backtests).set({ status: 'running', progress: 0.3 }).where(eq(backtests.id, queued.id));
    expect((await getBacktestForUser(t.db, alice, queued.id)).status).toBe('running');
    await t.db
      .update(jobs)
      .set({ leaseExpiresAt: sql`now() - interval '1 second'` })
      .where(eq(jobs.id, dead!.id));

    await runWorkerUntil('worker-b', finished(alice, queued.id));
    const stored = await getBacktestForUser(t.db, alice, queued.id);
    expect(stored.status).toBe('completed');
    const [job] = await t.db.select().from(jobs).where(eq(jobs.id, dead!.id));
    expect(job).toMatchObject({ status: 'completed', attempts: 2 });
    const series = await readCandleSeries(t.db, market, START, END);
    expect(stored.metrics).toEqual(runBacktest(series, createStrategy('rsi', strategy.params), { ...config, timeframe: '1h' }).metrics);
  });

  it('fails, naming why, once its worker stopped on every attempt (a backtest that kills workers is not run forever)', async () => {
    const strategy = await createStrategyForUser(t.db, alice, { name: 'RSI dies', type: 'rsi', params: {}, ...market });
    const queued = await createBacktest(t.db, alice, { strategyId: strategy.id, start: START, end: END, ...config });
    const [row] = await t.db.select({ jobId: backtests.jobId }).from(backtests).where(eq(backtests.id, queued.id));
    const [job] = await t.db.select().from(jobs).where(eq(jobs.id, row!.jobId!));
    // Each of its attempts was claimed by a worker that then vanished (the last one's lease has just expired).
    for (let attempt = 1; attempt <= job!.maxAttempts; attempt++) {
      expect((await claimJob(t.db, `doomed-${attempt}`, [BACKTEST_JOB_TYPE], 30_000))?.id).toBe(job!.id);
      await t.db.update(backtests).set({ status: 'running' }).where(eq(backtests.id, queued.id));
      await t.db
        .update(jobs)
        .set({ leaseExpiresAt: sql`now() - interval '1 second'` })
        .where(eq(jobs.id, job!.id));
    }

    await runWorkerUntil('worker-c', finished(alice, queued.id));
    const stored = await getBacktestForUser(t.db, alice, queued.id);
    expect([stored.status, stored.error]).toEqual(['failed', expect.stringMatching(/^gave up after 3 attempts: the worker running it stopped each time/)]);
    expect(stored.metrics, 'never ran again').toBeNull();
    const [after] = await t.db.select().from(jobs).where(eq(jobs.id, job!.id));
    expect(after).toMatchObject({ status: 'failed', attempts: 4 });
  });

  it('cancels a queued backtest at once and a running one at its next progress report', async () => {
    const strategy = await createStrategyForUser(t.db, alice, { name: 'MACD', type: 'macd', params: {}, ...market });
    const queued = await createBacktest(t.db, alice, { strategyId: strategy.id, start: START, end: END, ...config });
    expect((await appError(cancelBacktestForUser(t.db, bob, queued.id))).code, "another user's backtest is a 404").toBe('NOT_FOUND');
    expect((await cancelBacktestForUser(t.db, alice, queued.id)).status).toBe('canceled');

    const running = await createBacktest(t.db, alice, { strategyId: strategy.id, start: START, end: END, ...config });
    const claimed = await claimJob(t.db, 'slow-worker', [BACKTEST_JOB_TYPE], 30_000);
    expect(claimed?.payload, 'the canceled one is never claimed').toEqual({ backtestId: running.id });
    expect((await getBacktestForUser(t.db, alice, running.id)).status, 'the row is the status: claimed, not started yet').toBe('queued');
    // The worker starts it, as the handler does first.
    await t.db.update(backtests).set({ status: 'running' }).where(eq(backtests.id, running.id));
    expect((await cancelBacktestForUser(t.db, alice, running.id)).status, 'running until its worker notices').toBe('running');
    // The worker goes on exactly as the runner would: its next progress report sees the cancel.
    const context = {
      job: claimed!,
      payload: { backtestId: running.id },
      workerId: 'slow-worker',
      db: t.db,
      signal: new AbortController().signal,
      async progress() {
        const [row] = await t.db.select({ cancelRequested: jobs.cancelRequested }).from(jobs).where(eq(jobs.id, claimed!.id));
        if (row?.cancelRequested) throw new JobInterrupted('canceled');
      },
    };
    await expect(backtestRunHandler.run(context)).rejects.toThrow('canceled');
    const after = await getBacktestForUser(t.db, alice, running.id);
    expect(after).toMatchObject({ status: 'canceled', metrics: null, trades: [] });
    expect((await appError(cancelBacktestForUser(t.db, alice, running.id))).code, 'a finished one cannot be canceled').toBe('CONFLICT');
  });

  it('refuses a range without candles up front (422 on start), and fails clearly when the candles vanish before it runs', async () => {
    const strategy = await createStrategyForUser(t.db, alice, { name: 'Empty', type: 'sma_crossover', params: {}, ...market });
    const error = await appError(
      createBacktest(t.db, alice, { strategyId: strategy.id, start: Date.parse('2016-01-01T00:00:00Z'), end: Date.parse('2016-02-01T00:00:00Z'), ...config }),
    );
    expect(error.code).toBe('UNPROCESSABLE');
    expect(error.details?.fields?.[0]).toMatchObject({ field: 'start', message: expect.stringContaining('no binance BTC/USDT 1h candles') });

    const eth = { ...market, symbol: 'ETH/USDT' };
    await upsertCandles(t.db, eth, [
      [START, 1, 2, 0.5, 1.5, 1],
      [START + 3_600_000, 1.5, 2, 1, 1.8, 1],
    ]);
    const ethStrategy = await createStrategyForUser(t.db, alice, { name: 'ETH', type: 'sma_crossover', params: {}, ...eth });
    const queued = await createBacktest(t.db, alice, { strategyId: ethStrategy.id, start: START, end: END, ...config });
    await t.db.execute(sql`delete from candles where symbol = 'ETH/USDT'`);
    await runWorkerUntil('worker-c', finished(alice, queued.id));
    const failed = await getBacktestForUser(t.db, alice, queued.id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/^no binance ETH\/USDT 1h candles between 2018-01-01T00:00:00.000Z and 2018-02-01T00:00:00.000Z$/);
  });

  it('exports its trades as CSV with exact decimal strings and ISO times, never float noise', async () => {
    const strategy = await createStrategyForUser(t.db, alice, { name: 'CSV', type: 'sma_crossover', params: { fastPeriod: 10, slowPeriod: 30 }, ...market });
    const queued = await createBacktest(t.db, alice, { strategyId: strategy.id, start: START, end: END, ...config });
    await runWorkerUntil('worker-csv', finished(alice, queued.id));
    // What the engine's float arithmetic leaves in a stored trade (seen in an export: 59496.85669000001).
    await t.db.execute(sql`
      update backtest_trades set entry_price = 59496.85669000001, fee = 0.059496856690000012, pnl = -0.30000000000000004, quantity = 0.1 + 0.2
      where backtest_id = ${queued.id} and seq = 0`);
    const csv = tradesCsv((await getBacktestForUser(t.db, alice, queued.id)).trades);
    const [header, first] = csv.split('\r\n');
    expect(header).toBe(TRADES_CSV_HEADER);
    const fields = first!.split(',');
    expect(fields.slice(2, 7), 'prices, quantity and fee as the decimals they stand for').toEqual([
      '59496.85669',
      expect.stringMatching(/^\d+(\.\d+)?$/),
      '0.3',
      '0.05949685669',
      '-0.3',
    ]);
    expect(fields[9], "the trade's symbol, last").toBe('BTC/USDT');
    expect(fields[0], 'times in ISO 8601 UTC').toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(csv, 'no float noise anywhere in the export').not.toMatch(/\d{16,}|0000000\d|9999999\d|e[+-]\d/);
  });

  it("keeps every backtest private: another user's ids are 404 and lists are scoped", async () => {
    const strategy = await createStrategyForUser(t.db, alice, { name: 'Private', type: 'sma_crossover', params: {}, ...market });
    const queued = await createBacktest(t.db, alice, { strategyId: strategy.id, start: START, end: END, ...config });
    expect((await appError(getBacktestForUser(t.db, bob, queued.id))).code).toBe('NOT_FOUND');
    expect((await appError(getBacktestEquity(t.db, bob, queued.id))).code).toBe('NOT_FOUND');
    expect((await appError(listBacktestsForUser(t.db, bob, { strategyId: strategy.id }))).code).toBe('NOT_FOUND');
    expect((await appError(createBacktest(t.db, bob, { strategyId: strategy.id, start: START, end: END, ...config }))).code).toBe('NOT_FOUND');
    expect(await listBacktestsForUser(t.db, bob)).toEqual([]);
    await cancelBacktestForUser(t.db, alice, queued.id);
  });
});

describe('backtest.sweep job', () => {
  it('runs the grid on worker threads; every combination equals a single backtest with its params', async () => {
    const strategy = await createStrategyForUser(t.db, alice, { name: 'Sweep', type: 'sma_crossover', params: { stopLossPct: 5 }, ...market });
    const sweep = await createSweep(t.db, alice, {
      strategyId: strategy.id,
      start: START,
      end: END,
      ...config,
      ranges: { fastPeriod: { min: 5, max: 15, step: 5 }, slowPeriod: { values: [10, 30] } },
    });
    expect(sweep, '(10,10), (15,10) break fast < slow').toMatchObject({
      status: 'queued',
      combinationCount: 4,
      skippedCount: 2,
      sweptParams: ['fastPeriod', 'slowPeriod'],
    });
    await runWorkerUntil('worker-s', async () => !['queued', 'running'].includes((await getSweepForUser(t.db, alice, sweep.id)).status));
    const done = await getSweepForUser(t.db, alice, sweep.id);
    expect(done.status, done.error ?? '').toBe('completed');
    expect(
      done.results.map((r) => [r.params.fastPeriod, r.params.slowPeriod]),
      'grid order, fast < slow only',
    ).toEqual([
      [5, 10],
      [5, 30],
      [10, 30],
      [15, 30],
    ]);
    const series = await readCandleSeries(t.db, market, START, END);
    for (const result of done.results) {
      expect(result.params.stopLossPct, 'base params carry over').toBe(5);
      const single = runBacktest(series, createStrategy('sma_crossover', result.params), { ...config, timeframe: '1h' });
      expect(result.metrics, JSON.stringify(result.params)).toEqual(single.metrics);
    }
    expect((await appError(getSweepForUser(t.db, bob, sweep.id))).code).toBe('NOT_FOUND');
  });

  it('refuses a bad range naming ranges.<param> and cancels a queued sweep', async () => {
    const strategy = await createStrategyForUser(t.db, alice, { name: 'Sweep 2', type: 'sma_crossover', params: {}, ...market });
    const error = await appError(
      createSweep(t.db, alice, { strategyId: strategy.id, start: START, end: END, ...config, ranges: { fastPeriod: { min: 0, max: 4, step: 1 } } }),
    );
    expect(error.details?.fields?.[0]?.field).toBe('ranges.fastPeriod');
    const unknown = await appError(createSweep(t.db, alice, { strategyId: strategy.id, start: START, end: END, ...config, ranges: { nope: { values: [1] } } }));
    expect(unknown.details?.fields?.[0]?.field).toBe('ranges.nope');
    const sweep = await createSweep(t.db, alice, { strategyId: strategy.id, start: START, end: END, ...config, ranges: { fastPeriod: { values: [5, 6] } } });
    expect((await cancelSweepForUser(t.db, alice, sweep.id)).status).toBe('canceled');
    const [job] = await t.db
      .select()
      .from(jobs)
      .where(and(eq(jobs.type, SWEEP_JOB_TYPE), eq(jobs.payload, { sweepId: sweep.id })));
    expect(job?.status).toBe('canceled');
  });
});
