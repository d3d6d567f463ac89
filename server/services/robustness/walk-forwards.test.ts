/* eslint-disable no-restricted-imports -- these tests drive the real worker job runner in-process */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { annualisationFactor, runBacktest } from '@/server/core/backtest';
import { sliceByTime } from '@/server/core/candles';
import { AppError } from '@/server/core/errors';
import { deflatedSharpeRatio, returnMoments } from '@/server/core/robustness/significance';
import { objectiveScore } from '@/server/core/robustness/walk-forward';
import { createStrategy } from '@/server/core/strategies';
import { logger } from '@/server/logger';
import { registerUser } from '@/server/services/auth/users';
import type { JobHandler, JobPayload } from '@/server/services/jobs/contract';
import { claimJob } from '@/server/services/jobs/queue';
import { upsertCandles } from '@/server/services/market-data/candles';
import { createStrategyForUser } from '@/server/services/strategies/strategies';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { fixtureRows, fixtureSeries } from '@/server/testing/fixtures';
import { createJobRunner } from '@/server/worker/job-runner';
import { SCRIPT_TEMPLATES } from '@/server/core/scripts/templates';
import { addScriptVersion, createScriptForUser } from '@/server/services/scripts/scripts';
import { createWalkForwardFoldJobHandler } from './walk-forward-job';
import { cancelWalkForwardForUser, createWalkForward, getWalkForwardForUser, WALK_FORWARD_FOLD_JOB_TYPE, type CreateWalkForwardInput } from './walk-forwards';

let t: TestDatabase;
let alice: string;
let bob: string;
let strategyId: string;
const market = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' };
const START = Date.parse('2018-01-01T00:00:00Z');
const END = Date.parse('2018-04-01T00:00:00Z');
const config = { initialCapital: 10_000, feeRate: 0.001, slippage: 0.0005 };
const TERMINAL = ['completed', 'failed', 'canceled'];
type Handler = JobHandler<JobPayload<typeof WALK_FORWARD_FOLD_JOB_TYPE>>;

/** Runs `workers` job runners in-process (one fold at a time each, one pool thread per fold) until the walk-forward is done. */
async function runWorkers(id: string, handlers: Handler[]): Promise<void> {
  const controller = new AbortController();
  const stops = await Promise.all(
    handlers.map((handler, k) =>
      createJobRunner({ [WALK_FORWARD_FOLD_JOB_TYPE]: handler }, { pollMs: 50 }).start({
        database: t,
        workerId: `wf-worker-${k}`,
        logger,
        signal: controller.signal,
      }),
    ),
  );
  try {
    for (let i = 0; i < 2400 && !TERMINAL.includes((await getWalkForwardForUser(t.db, alice, id)).status); i++) await new Promise((r) => setTimeout(r, 50));
  } finally {
    controller.abort();
    await Promise.all(stops.map((stop) => stop()));
  }
}

function request(overrides: Partial<CreateWalkForwardInput> = {}): CreateWalkForwardInput {
  return {
    strategyId,
    start: START,
    end: END,
    ...config,
    folds: 3,
    anchored: false,
    space: { fastPeriod: { min: 5, max: 20, step: 5 }, slowPeriod: [30, 50, 80] },
    search: { method: 'grid', seed: 11 },
    objective: 'returnMinusDrawdown',
    drawdownWeight: 0.5,
    minTrades: 2,
    ...overrides,
  };
}

async function fieldOf(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, 'the call must fail with an AppError').toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe('UNPROCESSABLE');
  return (error as AppError).details?.fields?.[0]?.field;
}

/** What must not depend on who ran the folds. */
const outcome = (v: Awaited<ReturnType<typeof getWalkForwardForUser>>) =>
  JSON.stringify({ folds: v.folds, outOfSampleMetrics: v.outOfSampleMetrics, efficiency: v.efficiency, equity: v.equity, stability: v.stability });

beforeAll(async () => {
  t = await createTestDatabase();
  alice = (await registerUser(t.db, { username: 'wf-alice', password: 'long enough pw' })).id;
  bob = (await registerUser(t.db, { username: 'wf-bob', password: 'long enough pw' })).id;
  await upsertCandles(t.db, market, fixtureRows('btc-usd-1h'));
  strategyId = (await createStrategyForUser(t.db, alice, { name: 'wf', type: 'sma_crossover', params: { fastPeriod: 10, slowPeriod: 30 }, ...market })).id;
}, 120_000);
afterAll(() => t.destroy());

describe('walk-forward requests', () => {
  it('refuses bad specifications with a 422 naming the field', async () => {
    expect(await fieldOf(createWalkForward(t.db, alice, request({ space: {} })))).toBe('space');
    expect(await fieldOf(createWalkForward(t.db, alice, request({ space: { lookback: [1, 2] } })))).toBe('space.lookback');
    expect(await fieldOf(createWalkForward(t.db, alice, request({ folds: 20, space: { slowPeriod: [150] } }))), '102-bar windows under a 150-bar warm-up').toBe(
      'folds',
    );
    expect(await fieldOf(createWalkForward(t.db, alice, request({ search: { method: 'tpe', trials: 1001 } })))).toBe('search.trials');
    expect(
      await fieldOf(
        createWalkForward(t.db, alice, request({ space: { fastPeriod: { min: 1, max: 100, step: 1 }, slowPeriod: { min: 101, max: 200, step: 1 } } })),
      ),
    ).toBe('space');
    expect(await fieldOf(createWalkForward(t.db, alice, request({ folds: { inSampleDays: 80, outOfSampleDays: 20 } })))).toBe('folds');
    await expect(
      getWalkForwardForUser(t.db, bob, (await createWalkForward(t.db, alice, request())).id),
      'another user’s walk-forward does not exist for bob',
    ).rejects.toThrow(/not found/);
  });

  it('cancels every fold’s job with the walk-forward', async () => {
    const queued = await createWalkForward(t.db, alice, request());
    const canceled = await cancelWalkForwardForUser(t.db, alice, queued.id);
    expect(canceled.status).toBe('canceled');
    const jobs = await t.sql<{ status: string }[]>`select status from jobs where payload->>'walkForwardId' = ${queued.id}`;
    expect(jobs.map((j) => j.status)).toEqual(['canceled', 'canceled', 'canceled']);
  });
});

describe('walk-forward across workers', () => {
  let oneWorker: string;

  it('chooses each fold’s best in-sample cell and runs it out of sample, exactly as single backtests do', async () => {
    const queued = await createWalkForward(t.db, alice, request());
    expect(queued).toMatchObject({ status: 'queued', progress: 0, folds: [{ status: 'pending' }, { status: 'pending' }, { status: 'pending' }] });
    await runWorkers(queued.id, [createWalkForwardFoldJobHandler({ threads: 1 })]);
    const done = await getWalkForwardForUser(t.db, alice, queued.id);
    expect(done.status, done.error ?? '').toBe('completed');
    expect(done.progress).toBe(1);
    oneWorker = outcome(done);

    // Fold 1 by hand: every cell of the grid over its in-sample window; the best one's out-of-sample run.
    const series = fixtureSeries('btc-usd-1h');
    const fold = done.folds[1]!;
    const inSample = sliceByTime(series, Date.parse(fold.inSample.start), Date.parse(fold.inSample.end));
    const outOfSample = sliceByTime(series, Date.parse(fold.outOfSample.start), Date.parse(fold.outOfSample.end));
    const engine = { ...config, timeframe: '1h' };
    let best: { score: number; fastPeriod: number; slowPeriod: number } | null = null;
    const sharpes: number[] = [];
    for (const fastPeriod of [5, 10, 15, 20])
      for (const slowPeriod of [30, 50, 80]) {
        const metrics = runBacktest(inSample, createStrategy('sma_crossover', { fastPeriod, slowPeriod }), engine).metrics;
        sharpes.push(metrics.sharpeRatio);
        const score = objectiveScore(metrics, { objective: 'returnMinusDrawdown', drawdownWeight: 0.5, minTrades: 2 });
        if (score !== null && (!best || score > best.score)) best = { score, fastPeriod, slowPeriod };
      }
    expect(best, 'some cell is feasible').not.toBeNull();
    expect(fold.chosen).toEqual({ fastPeriod: best!.fastPeriod, slowPeriod: best!.slowPeriod });
    expect(fold.objective).toBe(best!.score);
    expect(fold).toMatchObject({ trials: 12, evaluated: 12, inSampleBars: inSample.length, outOfSampleBars: outOfSample.length });
    expect(fold.outOfSampleMetrics).toEqual(runBacktest(outOfSample, createStrategy('sma_crossover', fold.params), engine).metrics);
    expect(done.stability!.fastPeriod).toEqual(done.folds.map((f) => f.chosen?.fastPeriod ?? null));
    expect(done.equity.length).toBeGreaterThan(100);
    expect(done.equity[0]!.time, 'the stitched curve starts at the first out-of-sample bar').toBe(Date.parse(done.folds[0]!.outOfSample.start));
    expect(done.totalTrials).toBe(36);

    // Its deflated Sharpe: the chosen cell's in-sample bar returns against the 12 cells' per-bar Sharpe variance.
    const annualise = annualisationFactor(3_600_000);
    const perBar = sharpes.map((x) => x / annualise);
    const mean = perBar.reduce((a, b) => a + b, 0) / perBar.length;
    const variance = perBar.reduce((a, b) => a + (b - mean) ** 2, 0) / (perBar.length - 1);
    const equity = runBacktest(inSample, createStrategy('sma_crossover', fold.params), engine).equity;
    const returns = Array.from({ length: equity.length - 1 }, (_, k) => equity[k + 1]! / equity[k]! - 1);
    const m = returnMoments(returns);
    const expected = deflatedSharpeRatio({
      sharpe: m.mean / m.std,
      trials: 12,
      sharpeVariance: variance,
      observations: returns.length,
      skewness: m.skewness,
      kurtosis: m.kurtosis,
    });
    expect(fold.deflatedSharpe!.trials).toBe(12);
    expect(fold.deflatedSharpe!.deflatedSharpeRatio).toBeCloseTo(expected.deflatedSharpeRatio, 10);
    expect(fold.deflatedSharpe!.expectedMaxSharpe).toBeCloseTo(expected.expectedMaxSharpe, 12);
  }, 120_000);

  it('gives the same bytes with two workers sharing the folds, and after a killed worker’s fold is taken over', async () => {
    // Two workers: each holds its first fold until the other has claimed one, so both provably ran a shard.
    const claimedBy = new Set<string>();
    let release!: () => void;
    const bothClaimed = new Promise<void>((resolve) => (release = resolve));
    const barrier = (inner: Handler): Handler => ({
      ...inner,
      async run(ctx) {
        claimedBy.add(ctx.workerId);
        if (claimedBy.size === 2) release();
        await bothClaimed;
        return inner.run(ctx);
      },
    });
    const two = await createWalkForward(t.db, alice, request());
    await runWorkers(two.id, [barrier(createWalkForwardFoldJobHandler({ threads: 1 })), barrier(createWalkForwardFoldJobHandler({ threads: 1 }))]);
    expect([...claimedBy].sort()).toEqual(['wf-worker-0', 'wf-worker-1']);
    expect(outcome(await getWalkForwardForUser(t.db, alice, two.id)), '1 vs 2 workers: byte-identical').toBe(oneWorker);

    // A worker claims fold 0 and dies (no heartbeat: its lease ends at once); another takes the fold over.
    const killed = await createWalkForward(t.db, alice, request());
    const claimed = await claimJob(t.db, 'killed-worker', [WALK_FORWARD_FOLD_JOB_TYPE], 1);
    expect(claimed?.payload, 'the dead worker held a fold of this walk-forward').toMatchObject({ walkForwardId: killed.id });
    await runWorkers(killed.id, [createWalkForwardFoldJobHandler({ threads: 2 })]);
    const after = await getWalkForwardForUser(t.db, alice, killed.id);
    expect(after.status).toBe('completed');
    const [retried] = await t.sql<{ attempts: number; status: string }[]>`select attempts, status from jobs where id = ${claimed!.id}`;
    expect(retried, 'the killed worker’s fold ran a second attempt').toEqual({ attempts: 2, status: 'completed' });
    expect(outcome(after)).toBe(oneWorker);
  }, 180_000);

  it('searches with a seeded TPE: the same seed gives the same choices', async () => {
    const tpe = request({
      search: { method: 'tpe', trials: 30, seed: 5 },
      space: { fastPeriod: { min: 3, max: 30, step: 1 }, slowPeriod: { min: 35, max: 120, step: 5 } },
    });
    const a = await createWalkForward(t.db, alice, tpe);
    const b = await createWalkForward(t.db, alice, tpe);
    await runWorkers(b.id, [createWalkForwardFoldJobHandler({ threads: 2 })]);
    await runWorkers(a.id, [createWalkForwardFoldJobHandler({ threads: 1 })]);
    const [va, vb] = [await getWalkForwardForUser(t.db, alice, a.id), await getWalkForwardForUser(t.db, alice, b.id)];
    expect(va.status).toBe('completed');
    expect(va.folds.every((f) => f.trials === 30)).toBe(true);
    expect(outcome(va)).toBe(outcome(vb));
  }, 180_000);
});

describe('walk-forward of a script', () => {
  it('finds, fold for fold, what the built-in the script was written from finds, and stitches the same out-of-sample run', async () => {
    const script = await createScriptForUser(t.db, alice, { name: 'wf script' });
    const version = await addScriptVersion(t.db, alice, script.id, SCRIPT_TEMPLATES.find((s) => s.type === 'sma_crossover')!.source);
    const scripted = await createStrategyForUser(t.db, alice, { name: 'wf script', type: version.type, params: { fastPeriod: 10, slowPeriod: 30 }, ...market });
    const handler = createWalkForwardFoldJobHandler({ threads: 1 });
    // One after the other: a runner stopped while holding the other's fold would leave it leased until its lease expires.
    const builtIn = await createWalkForward(t.db, alice, request());
    await runWorkers(builtIn.id, [handler]);
    const mine = await createWalkForward(t.db, alice, request({ strategyId: scripted.id }));
    await runWorkers(mine.id, [handler]);
    const [a, b] = [await getWalkForwardForUser(t.db, alice, builtIn.id), await getWalkForwardForUser(t.db, alice, mine.id)];
    expect([a.status, b.status, b.error]).toEqual(['completed', 'completed', null]);
    expect(a.folds.filter((f) => f.params).length, 'the built-in chose parameters in some fold').toBeGreaterThan(0);
    expect(outcome(b), "the script's walk-forward is the built-in's").toBe(outcome(a));
  }, 240_000);
});
