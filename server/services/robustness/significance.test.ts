/* eslint-disable no-restricted-imports -- these tests drive the real worker job runner in-process */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { annualisationFactor, runBacktest } from '@/server/core/backtest';
import { AppError } from '@/server/core/errors';
import { deflatedSharpeRatio, permutationTest, returnMoments } from '@/server/core/robustness/significance';
import { createStrategy } from '@/server/core/strategies';
import { logger } from '@/server/logger';
import { registerUser } from '@/server/services/auth/users';
import { BACKTEST_JOB_TYPE, createBacktest, getBacktestForUser } from '@/server/services/backtests/backtests';
import { backtestRunHandler } from '@/server/services/backtests/run-job';
import { createSweepHandler } from '@/server/services/backtests/sweep-job';
import { createSweep, getSweepForUser, SWEEP_JOB_TYPE } from '@/server/services/backtests/sweeps';
import { readCandleSeries, upsertCandles } from '@/server/services/market-data/candles';
import { createStrategyForUser } from '@/server/services/strategies/strategies';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { fixtureRows } from '@/server/testing/fixtures';
import { createJobRunner } from '@/server/worker/job-runner';
import { createDeflatedSharpe, createPermutationTest, getSignificanceForUser, SIGNIFICANCE_JOB_TYPE, significanceHandler } from './significance';

let t: TestDatabase;
let alice: string;
let strategyId: string;
const market = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' };
const START = Date.parse('2018-01-01T00:00:00Z');
const END = Date.parse('2018-02-01T00:00:00Z');
const config = { initialCapital: 10_000, feeRate: 0.001, slippage: 0.0005 };
const TERMINAL = ['completed', 'failed', 'canceled'];

async function runWorkerUntil(done: () => Promise<boolean>): Promise<void> {
  const controller = new AbortController();
  const handlers = {
    [BACKTEST_JOB_TYPE]: backtestRunHandler,
    [SWEEP_JOB_TYPE]: createSweepHandler({ threads: 1 }),
    [SIGNIFICANCE_JOB_TYPE]: significanceHandler,
  };
  const stop = await createJobRunner(handlers, { pollMs: 50 }).start({ database: t, workerId: 'sig-worker', logger, signal: controller.signal });
  try {
    for (let i = 0; i < 1200 && !(await done()); i++) await new Promise((r) => setTimeout(r, 50));
  } finally {
    controller.abort();
    await stop();
  }
}

beforeAll(async () => {
  t = await createTestDatabase();
  alice = (await registerUser(t.db, { username: 'sig-alice', password: 'long enough pw' })).id;
  await upsertCandles(t.db, market, fixtureRows('btc-usd-1h'));
  strategyId = (await createStrategyForUser(t.db, alice, { name: 'SMA', type: 'sma_crossover', params: { fastPeriod: 5, slowPeriod: 20 }, ...market })).id;
}, 60_000);
afterAll(() => t.destroy());

describe('robustness.significance job', () => {
  it('permutation test of a backtest: the core’s result on the same candles and holding times', async () => {
    const backtest = await createBacktest(t.db, alice, { strategyId, start: START, end: END, ...config });
    await runWorkerUntil(async () => TERMINAL.includes((await getBacktestForUser(t.db, alice, backtest.id)).status));
    const queued = await createPermutationTest(t.db, alice, backtest.id, { runs: 1000, seed: 3 });
    await runWorkerUntil(async () => TERMINAL.includes((await getSignificanceForUser(t.db, alice, queued.id)).status));
    const done = await getSignificanceForUser(t.db, alice, queued.id);
    expect(done).toMatchObject({ status: 'completed', kind: 'permutation', subjectId: backtest.id, runs: 1000, seed: 3 });
    const view = await getBacktestForUser(t.db, alice, backtest.id);
    const series = await readCandleSeries(t.db, market, START, END);
    const index = (iso: string) => series.time.indexOf(Date.parse(iso));
    const expected = permutationTest(
      series,
      { holdingBars: view.trades.map((tr) => index(tr.exitTime) - index(tr.entryTime)), meanTradePct: view.metrics!.averageTradePct, ...config },
      { runs: 1000, seed: 3 },
    );
    expect(done.result).toEqual(JSON.parse(JSON.stringify(expected)));
    expect(expected.pValue).toBeGreaterThan(0);
    expect(expected.pValue).toBeLessThanOrEqual(1);
  });

  it('deflated Sharpe ratio of a sweep’s best cell, with the trial count', async () => {
    const sweep = await createSweep(t.db, alice, {
      strategyId,
      start: START,
      end: END,
      ...config,
      ranges: { fastPeriod: { min: 3, max: 9, step: 2 }, slowPeriod: { values: [20, 30] } },
    });
    await runWorkerUntil(async () => TERMINAL.includes((await getSweepForUser(t.db, alice, sweep.id)).status));
    const queued = await createDeflatedSharpe(t.db, alice, sweep.id);
    await runWorkerUntil(async () => TERMINAL.includes((await getSignificanceForUser(t.db, alice, queued.id)).status));
    const done = await getSignificanceForUser(t.db, alice, queued.id);
    expect(done.status).toBe('completed');
    const result = done.result as Record<string, number> & { bestParams: Record<string, unknown> };
    expect(result.trials, 'every combination with metrics is a trial').toBe(8);
    // Recompute from the sweep's metrics and a re-run of its best cell.
    const cells = (await getSweepForUser(t.db, alice, sweep.id)).results;
    const best = cells.reduce((a, b) => (b.metrics!.sharpeRatio > a.metrics!.sharpeRatio ? b : a));
    expect(result.bestParams).toEqual(best.params);
    const series = await readCandleSeries(t.db, market, START, END);
    const { equity, metrics } = runBacktest(series, createStrategy('sma_crossover', best.params), { ...config, timeframe: '1h' });
    const returns = Array.from({ length: equity.length - 1 }, (_, k) => equity[k + 1]! / equity[k]! - 1);
    const m = returnMoments(returns);
    const annualise = annualisationFactor(3_600_000);
    expect(m.mean / m.std).toBeCloseTo(metrics.sharpeRatio / annualise, 12);
    const perBar = cells.map((c) => c.metrics!.sharpeRatio / annualise);
    const mean = perBar.reduce((s, v) => s + v, 0) / perBar.length;
    const variance = perBar.reduce((s, v) => s + (v - mean) ** 2, 0) / (perBar.length - 1);
    const expected = deflatedSharpeRatio({
      sharpe: m.mean / m.std,
      trials: 8,
      sharpeVariance: variance,
      observations: returns.length,
      skewness: m.skewness,
      kurtosis: m.kurtosis,
    });
    expect(result.deflatedSharpeRatio).toBeCloseTo(expected.deflatedSharpeRatio, 12);
    expect(result.expectedMaxSharpe).toBeCloseTo(expected.expectedMaxSharpe, 12);
  });

  it('refuses a backtest without trades, naming it', async () => {
    const flat = await createStrategyForUser(t.db, alice, { name: 'Flat', type: 'sma_crossover', params: { fastPeriod: 10, slowPeriod: 1000 }, ...market });
    const backtest = await createBacktest(t.db, alice, { strategyId: flat.id, start: START, end: END, ...config });
    await runWorkerUntil(async () => TERMINAL.includes((await getBacktestForUser(t.db, alice, backtest.id)).status));
    const error = await createPermutationTest(t.db, alice, backtest.id, { runs: 1000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).details?.fields?.[0]).toMatchObject({ field: 'backtestId' });
  });
});
