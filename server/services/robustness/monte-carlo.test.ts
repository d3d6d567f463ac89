/* eslint-disable no-restricted-imports -- these tests drive the real worker job runner in-process */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '@/server/core/errors';
import { runMonteCarlo, tradeMonteCarlo } from '@/server/core/robustness/monte-carlo';
import { logger } from '@/server/logger';
import { registerUser } from '@/server/services/auth/users';
import { BACKTEST_JOB_TYPE, createBacktest, getBacktestForUser, getBacktestTradePnl } from '@/server/services/backtests/backtests';
import { backtestRunHandler } from '@/server/services/backtests/run-job';
import { upsertCandles } from '@/server/services/market-data/candles';
import { createStrategyForUser } from '@/server/services/strategies/strategies';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { fixtureRows } from '@/server/testing/fixtures';
import { createJobRunner } from '@/server/worker/job-runner';
import { SCRIPT_TEMPLATES } from '@/server/core/scripts/templates';
import { addScriptVersion, createScriptForUser } from '@/server/services/scripts/scripts';
import type { JobHandler } from '@/server/services/jobs/contract';
import { cancelMonteCarloForUser, createMonteCarlo, getMonteCarloForUser, MONTE_CARLO_JOB_TYPE, MONTE_CARLO_SHARD_JOB_TYPE } from './monte-carlo';
import { monteCarloHandler, monteCarloShardHandler } from './monte-carlo-job';

let t: TestDatabase;
let alice: string;
let bob: string;
let backtestId: string;
let flatBacktestId: string;
const market = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' };
const START = Date.parse('2018-01-01T00:00:00Z');
const END = Date.parse('2018-02-01T00:00:00Z');
const config = { initialCapital: 10_000, feeRate: 0.001, slippage: 0.0005 };
const TERMINAL = ['completed', 'failed', 'canceled'];

/** Runs the real job runner in-process until `done()` holds (checked every 50 ms, at most 60 s), then stops it. */
async function runWorkerUntil(done: () => Promise<boolean>, workers = 1): Promise<string[]> {
  const controller = new AbortController();
  const ran: string[] = [];
  const tracked = <P>(handler: JobHandler<P>): JobHandler<P> => ({ ...handler, run: (ctx) => (ran.push(`${ctx.workerId} ${ctx.job.type}`), handler.run(ctx)) });
  const handlers = {
    [BACKTEST_JOB_TYPE]: backtestRunHandler,
    [MONTE_CARLO_JOB_TYPE]: tracked(monteCarloHandler),
    [MONTE_CARLO_SHARD_JOB_TYPE]: tracked(monteCarloShardHandler),
  };
  const stops = await Promise.all(
    Array.from({ length: workers }, (_, k) =>
      createJobRunner(handlers, { pollMs: 50 }).start({ database: t, workerId: `mc-worker-${k}`, logger, signal: controller.signal }),
    ),
  );
  try {
    for (let i = 0; i < 1200 && !(await done()); i++) await new Promise((r) => setTimeout(r, 50));
  } finally {
    controller.abort();
    await Promise.all(stops.map((stop) => stop()));
  }
  return ran;
}

async function completedBacktest(type: string, params: Record<string, unknown>): Promise<string> {
  const strategy = await createStrategyForUser(t.db, alice, { name: type, type, params, ...market });
  const queued = await createBacktest(t.db, alice, { strategyId: strategy.id, start: START, end: END, ...config });
  await runWorkerUntil(async () => TERMINAL.includes((await getBacktestForUser(t.db, alice, queued.id)).status));
  return queued.id;
}

async function study(id: string, workers = 1) {
  const ran = await runWorkerUntil(async () => TERMINAL.includes((await getMonteCarloForUser(t.db, alice, id)).status), workers);
  return Object.assign(await getMonteCarloForUser(t.db, alice, id), { ran });
}

async function appError(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, 'the call must fail with an AppError').toBeInstanceOf(AppError);
  return error as AppError;
}

beforeAll(async () => {
  t = await createTestDatabase();
  alice = (await registerUser(t.db, { username: 'mc-alice', password: 'long enough pw' })).id;
  bob = (await registerUser(t.db, { username: 'mc-bob', password: 'long enough pw' })).id;
  await upsertCandles(t.db, market, fixtureRows('btc-usd-1h'));
  backtestId = await completedBacktest('sma_crossover', { fastPeriod: 5, slowPeriod: 20 });
  // A slow period longer than the month: no trade at all.
  flatBacktestId = await completedBacktest('sma_crossover', { fastPeriod: 10, slowPeriod: 1000 });
}, 120_000);
afterAll(() => t.destroy());

describe('robustness.monte-carlo job', () => {
  it('shuffles the backtest’s trades on the worker: exactly the core’s summary, and the same bytes for the same seed', async () => {
    const queued = await createMonteCarlo(t.db, alice, backtestId, { method: 'shuffle', runs: 1000, seed: 7, ruinDrawdownPct: 10 });
    expect(queued).toMatchObject({ status: 'queued', backtestId, method: 'shuffle', runs: 1000, seed: 7, blockBars: null, ruinDrawdownPct: 10 });
    const done = await study(queued.id);
    expect(done.status).toBe('completed');
    const pnl = await getBacktestTradePnl(t.db, alice, backtestId);
    expect(pnl.length, 'the backtest traded').toBeGreaterThan(5);
    const expected = runMonteCarlo(tradeMonteCarlo('shuffle', pnl, config.initialCapital, { runs: 1000, seed: 7, ruinDrawdownPct: 10 }));
    const { runs: _runs, ...figures } = expected;
    expect(done).toMatchObject(JSON.parse(JSON.stringify(figures)));
    expect(done.finalReturnPct!.p5, 'a shuffle never changes the final return').toBeCloseTo(done.finalReturnPct!.p95, 9);

    const again = await study((await createMonteCarlo(t.db, alice, backtestId, { method: 'shuffle', runs: 1000, seed: 7, ruinDrawdownPct: 10 })).id);
    const strip = ({ id: _id, createdAt: _c, finishedAt: _f, ...rest }: typeof done) => JSON.stringify(rest);
    expect(strip(again)).toBe(strip(done));
  });

  it('resamples price paths and re-runs the strategy on each (blocks)', async () => {
    const queued = await createMonteCarlo(t.db, alice, backtestId, { method: 'blocks', runs: 1000, seed: 11, ruinDrawdownPct: 20 });
    expect(queued.blockBars, 'the default block: ⌈∛744⌉').toBe(10);
    const done = await study(queued.id);
    expect(done.status).toBe('completed');
    expect(done.bands!.length).toBe(200);
    expect(done.bands![0]!.time).toBe(START);
    expect(done.finalReturnPct!.p5).toBeLessThan(done.finalReturnPct!.p95);
    expect(done.distributions!.maxDrawdownPct.reduce((s, b) => s + b.count, 0)).toBe(1000);
    expect(done.ruinProbability).toBeGreaterThanOrEqual(0);
    expect(done.ruinProbability).toBeLessThanOrEqual(1);
  });

  it('refuses what cannot be studied, naming the field', async () => {
    expect(
      (await appError(createMonteCarlo(t.db, alice, flatBacktestId, { method: 'shuffle', runs: 1000, ruinDrawdownPct: 50 }))).details?.fields?.[0],
    ).toMatchObject({
      field: 'method',
    });
    expect(
      (await appError(createMonteCarlo(t.db, alice, backtestId, { method: 'bootstrap', runs: 1000, blockBars: 5, ruinDrawdownPct: 50 }))).details?.fields?.[0],
    ).toMatchObject({ field: 'blockBars' });
    expect(
      (await appError(createMonteCarlo(t.db, alice, backtestId, { method: 'blocks', runs: 20_000, ruinDrawdownPct: 50 }))).details?.fields?.[0],
    ).toMatchObject({
      field: 'runs',
    });
    expect(
      (await appError(createMonteCarlo(t.db, alice, backtestId, { method: 'blocks', runs: 1000, blockBars: 744, ruinDrawdownPct: 50 }))).details?.fields?.[0],
    ).toMatchObject({
      field: 'blockBars',
    });
  });

  it('splits a large study into shard jobs that any worker takes: the same bytes as one job, with one worker or two', async () => {
    const request = { method: 'blocks' as const, runs: 400, seed: 5, ruinDrawdownPct: 20 };
    const strip = ({ id: _id, createdAt: _c, finishedAt: _f, ran: _r, ...rest }: Awaited<ReturnType<typeof study>>) => JSON.stringify(rest);
    const whole = await study((await createMonteCarlo(t.db, alice, backtestId, request)).id);
    expect(whole.status, whole.error ?? '').toBe('completed');
    expect(
      whole.ran.filter((r) => r.endsWith(MONTE_CARLO_SHARD_JOB_TYPE)),
      'small enough for one job',
    ).toEqual([]);

    // 400 runs × 744 bars at 100,000 steps a shard: 3 shards of 133–134 runs, then the study job combines them.
    const queued = await createMonteCarlo(t.db, alice, backtestId, request, { shardSteps: 100_000 });
    expect(queued.status).toBe('queued');
    const shards = await t.sql<{ payload: { shard: number; from: number; to: number } }[]>`
      select payload from jobs where type = ${MONTE_CARLO_SHARD_JOB_TYPE} and payload->>'studyId' = ${queued.id} order by (payload->>'shard')::int`;
    expect(shards.map((r) => [r.payload.from, r.payload.to])).toEqual([
      [0, 133],
      [133, 266],
      [266, 400],
    ]);
    const one = await study(queued.id);
    expect(one.status, one.error ?? '').toBe('completed');
    expect(one.ran.filter((r) => r.endsWith(MONTE_CARLO_SHARD_JOB_TYPE))).toHaveLength(3);
    expect(strip(one), 'sharded = one job, byte for byte').toBe(strip(whole));

    const two = await study((await createMonteCarlo(t.db, alice, backtestId, request, { shardSteps: 100_000 })).id, 2);
    expect(new Set(two.ran.map((r) => r.split(' ')[0])).size, 'both workers ran a part').toBe(2);
    expect(strip(two), 'two workers: the same bytes').toBe(strip(whole));

    // Cancel spans the shards: the study and every shard job.
    const canceled = await createMonteCarlo(t.db, alice, backtestId, request, { shardSteps: 100_000 });
    expect(await cancelMonteCarloForUser(t.db, alice, canceled.id)).toMatchObject({ status: 'canceled' });
    const statuses = await t.sql<{ status: string }[]>`select status from jobs where payload->>'studyId' = ${canceled.id}`;
    expect(statuses.map((r) => r.status)).toEqual(['canceled', 'canceled', 'canceled']);
  });

  it("re-runs a script's price paths in its sandbox, sharded: the same bytes as the built-in strategy it copies", async () => {
    const script = await createScriptForUser(t.db, alice, { name: 'mc sma' });
    const sma = SCRIPT_TEMPLATES.find((s) => s.type === 'sma_crossover')!.source;
    const version = await addScriptVersion(t.db, alice, script.id, sma);
    const scriptBacktestId = await completedBacktest(version.type, { fastPeriod: 5, slowPeriod: 20 });
    const request = { method: 'blocks' as const, runs: 400, seed: 9, ruinDrawdownPct: 20 };
    const strip = ({ id: _id, backtestId: _b, createdAt: _c, finishedAt: _f, ran: _r, ...rest }: Awaited<ReturnType<typeof study>>) => JSON.stringify(rest);
    const builtIn = await study((await createMonteCarlo(t.db, alice, backtestId, request)).id);
    const sandboxed = await study((await createMonteCarlo(t.db, alice, scriptBacktestId, request, { shardSteps: 100_000 })).id);
    expect(sandboxed.status, sandboxed.error ?? '').toBe('completed');
    expect(
      sandboxed.ran.filter((r) => r.endsWith(MONTE_CARLO_SHARD_JOB_TYPE)),
      'three shards, each with its own isolate',
    ).toHaveLength(3);
    expect(sandboxed.finalReturnPct!.p5).toBeLessThan(sandboxed.finalReturnPct!.p95);
    expect(strip(sandboxed), "every path's figures equal the built-in's").toBe(strip(builtIn));
  });

  it('keeps studies to their owner, and cancels a queued one', async () => {
    expect((await appError(createMonteCarlo(t.db, bob, backtestId, { method: 'shuffle', runs: 1000, ruinDrawdownPct: 50 }))).code).toBe('NOT_FOUND');
    const queued = await createMonteCarlo(t.db, alice, backtestId, { method: 'bootstrap', runs: 1000, ruinDrawdownPct: 50 });
    expect(queued.seed, 'a seed is drawn and shown when none is given').toBeGreaterThanOrEqual(0);
    expect((await appError(getMonteCarloForUser(t.db, bob, queued.id))).code).toBe('NOT_FOUND');
    expect(await cancelMonteCarloForUser(t.db, alice, queued.id)).toMatchObject({ status: 'canceled', error: 'canceled by the user' });
    expect((await appError(cancelMonteCarloForUser(t.db, alice, queued.id))).code).toBe('CONFLICT');
  });
});
