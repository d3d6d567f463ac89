/* eslint-disable no-restricted-imports -- these tests drive the real worker job runner, and the sandbox, in-process */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runBacktest } from '@/server/core/backtest';
import { SCRIPT_TEMPLATES } from '@/server/core/scripts/templates';
import { createStrategy } from '@/server/core/strategies';
import { registerUser } from '@/server/services/auth/users';
import { backtestSweepHandler } from '@/server/services/backtests/sweep-job';
import { createSweep, getSweepForUser, SWEEP_JOB_TYPE } from '@/server/services/backtests/sweeps';
import { readCandleSeries, upsertCandles } from '@/server/services/market-data/candles';
import { createStrategyForUser } from '@/server/services/strategies/strategies';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { fixtureRows } from '@/server/testing/fixtures';
import { logger } from '@/server/logger';
import { createJobRunner } from '@/server/worker/job-runner';
import { runScriptBacktest } from './run';
import { addScriptVersion, createScriptForUser, runnableScript } from './scripts';

let t: TestDatabase;
let userId: string;
const market = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' };
const START = Date.parse('2018-01-01T00:00:00Z');
const END = Date.parse('2018-03-01T00:00:00Z');
const config = { initialCapital: 10_000, feeRate: 0.001, slippage: 0.0005 };
const sma = SCRIPT_TEMPLATES.find((s) => s.type === 'sma_crossover')!.source;

beforeAll(async () => {
  t = await createTestDatabase();
  userId = (await registerUser(t.db, { username: 'sweeper', password: 'long enough pw' })).id;
  await upsertCandles(t.db, market, fixtureRows('btc-usd-1h'));
}, 60_000);
afterAll(() => t.destroy());

it("a sweep of a script runs each cell as the script's backtest: the same metrics, a refused cell named, the version's hash recorded", async () => {
  const script = await createScriptForUser(t.db, userId, { name: 'swept' });
  const v1 = await addScriptVersion(t.db, userId, script.id, sma);
  const strategy = await createStrategyForUser(t.db, userId, { name: 'swept sma', type: v1.type, params: { fastPeriod: 8, slowPeriod: 21 }, ...market });
  // fastPeriod 30 breaks the script's own rule (fastPeriod < slowPeriod), which only the sandbox knows.
  const queued = await createSweep(t.db, userId, {
    strategyId: strategy.id,
    start: START,
    end: END,
    ...config,
    ranges: { fastPeriod: { values: [5, 8, 30] } },
  });
  expect(queued.combinationCount).toBe(3);

  const controller = new AbortController();
  const runner = createJobRunner({ [SWEEP_JOB_TYPE]: backtestSweepHandler }, { pollMs: 50, leaseMs: 30_000 });
  const stop = await runner.start({ database: t, workerId: 'script-sweeps', logger, signal: controller.signal });
  try {
    await expect.poll(async () => (await getSweepForUser(t.db, userId, queued.id)).status, { timeout: 60_000, interval: 100 }).toMatch(/completed|failed/);
  } finally {
    controller.abort();
    await stop();
  }
  const done = await getSweepForUser(t.db, userId, queued.id);
  expect(done.error).toBeNull();
  expect(done.status).toBe('completed');
  expect(done.scriptHash, 'the version that ran').toBe(v1.hash);
  expect(done.results.map((r) => r.params.fastPeriod)).toEqual([5, 8, 30]);
  expect(done.results[2]).toMatchObject({ metrics: null, error: `invalid parameters for ${v1.type}: fastPeriod must be less than slowPeriod` });

  const series = await readCandleSeries(t.db, market, START, END);
  const runnable = await runnableScript(t.db, userId, v1.type);
  for (const cell of done.results.slice(0, 2)) {
    const alone = await runScriptBacktest(v1.type, runnable.compiled, series, cell.params, { ...config, timeframe: '1h' }, undefined, runnable.meta);
    expect(cell.metrics, `fastPeriod ${String(cell.params.fastPeriod)}: the cell is that backtest`).toEqual(alone.result.metrics);
    const builtIn = runBacktest(series, createStrategy('sma_crossover', cell.params), { ...config, timeframe: '1h' });
    expect(builtIn.trades.length).toBeGreaterThan(0);
    expect(cell.metrics, 'and the built-in sma_crossover over the same cell').toEqual(builtIn.metrics);
  }
}, 120_000);
