/* eslint-disable no-restricted-imports -- these tests drive the real worker job runner in-process */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '@/server/core/errors';
import { checkBias, checkRecursive, type BiasFinding } from '@/server/core/robustness/bias';
import { SCRIPT_TEMPLATES } from '@/server/core/scripts/templates';
import { addScriptVersion, createScriptForUser } from '@/server/services/scripts/scripts';
import { createStrategy } from '@/server/core/strategies';
import { logger } from '@/server/logger';
import { registerUser } from '@/server/services/auth/users';
import { readCandleSeries, upsertCandles } from '@/server/services/market-data/candles';
import { createStrategyForUser } from '@/server/services/strategies/strategies';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { fixtureRows } from '@/server/testing/fixtures';
import { createJobRunner } from '@/server/worker/job-runner';
import { BIAS_CHECK_JOB_TYPE, biasCheckHandler, cancelBiasCheckForUser, createBiasCheck, getBiasCheckForUser } from './bias-checks';

let t: TestDatabase;
let alice: string;
let bob: string;
const market = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' };
const START = Date.parse('2018-01-01T00:00:00Z');
const END = Date.parse('2018-03-01T00:00:00Z');

beforeAll(async () => {
  t = await createTestDatabase();
  alice = (await registerUser(t.db, { username: 'bias-alice', password: 'long enough pw' })).id;
  bob = (await registerUser(t.db, { username: 'bias-bob', password: 'long enough pw' })).id;
  await upsertCandles(t.db, market, fixtureRows('btc-usd-1h'));
}, 60_000);
afterAll(() => t.destroy());

/** Runs the real job runner in-process until `done()` holds (checked every 50 ms, at most 30 s), then stops it. */
async function runWorkerUntil(done: () => Promise<boolean>): Promise<void> {
  const controller = new AbortController();
  const runner = createJobRunner({ [BIAS_CHECK_JOB_TYPE]: biasCheckHandler }, { pollMs: 50 });
  const stop = await runner.start({ database: t, workerId: 'bias-worker', logger, signal: controller.signal });
  try {
    for (let i = 0; i < 600 && !(await done()); i++) await new Promise((r) => setTimeout(r, 50));
  } finally {
    controller.abort();
    await stop();
  }
}

const finished = (userId: string, id: string) => async () => ['completed', 'failed', 'canceled'].includes((await getBiasCheckForUser(t.db, userId, id)).status);

async function appError(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, 'the call must fail with an AppError').toBeInstanceOf(AppError);
  return error as AppError;
}

describe('robustness.bias-check job', () => {
  it('checks a built-in strategy on the worker: both checks pass over the stored candles', async () => {
    const strategy = await createStrategyForUser(t.db, alice, { name: 'SMA', type: 'sma_crossover', params: { fastPeriod: 10, slowPeriod: 30 }, ...market });
    const queued = await createBiasCheck(t.db, alice, strategy.id, { start: START, end: END });
    expect(queued).toMatchObject({ status: 'queued', strategyId: strategy.id, start: '2018-01-01T00:00:00.000Z', lookahead: null, recursive: null });
    await runWorkerUntil(finished(alice, queued.id));
    const done = await getBiasCheckForUser(t.db, alice, queued.id);
    const bars = (await readCandleSeries(t.db, market, START, END)).length;
    expect(done).toMatchObject({ status: 'completed', progress: 1, error: null, bars, settleBars: 30 + 600 });
    expect(done.lookahead).toEqual({ passed: true });
    expect(done.recursive).toEqual({ passed: true });
  });

  it('reports the first offending bar and its time: dca’s schedule depends on the first bar', async () => {
    const strategy = await createStrategyForUser(t.db, alice, { name: 'DCA', type: 'dca', params: { intervalBars: 24 }, ...market });
    const queued = await createBiasCheck(t.db, alice, strategy.id, { start: START, end: END });
    await runWorkerUntil(finished(alice, queued.id));
    const done = await getBiasCheckForUser(t.db, alice, queued.id);
    const series = await readCandleSeries(t.db, market, START, END);
    const expected = checkRecursive(series, () => createStrategy('dca', { intervalBars: 24 }));
    expect(expected.passed).toBe(false);
    expect(done.status).toBe('completed');
    expect(done.lookahead).toEqual({ passed: true });
    expect(done.recursive).toEqual({ passed: false, bar: expected.bar, time: new Date(series.time[expected.bar!]!).toISOString(), detail: expected.detail });
  });

  it('refuses a range too short for the recursive check, naming start', async () => {
    const strategy = await createStrategyForUser(t.db, alice, { name: 'SMA short', type: 'sma_crossover', params: {}, ...market });
    const error = await appError(createBiasCheck(t.db, alice, strategy.id, { start: START, end: START + 24 * 3_600_000 }));
    expect(error.code).toBe('UNPROCESSABLE');
    expect(error.details?.fields?.[0]).toMatchObject({ field: 'start' });
    expect(error.details?.fields?.[0]?.message).toMatch(/needs at least 1264/);
  });

  it('keeps checks to their owner, and cancels a queued one once', async () => {
    const strategy = await createStrategyForUser(t.db, alice, { name: 'EMA', type: 'ema_crossover', params: {}, ...market });
    expect((await appError(createBiasCheck(t.db, bob, strategy.id, { start: START, end: END }))).code).toBe('NOT_FOUND');
    const queued = await createBiasCheck(t.db, alice, strategy.id, { start: START, end: END });
    expect((await appError(getBiasCheckForUser(t.db, bob, queued.id))).code).toBe('NOT_FOUND');
    expect((await appError(cancelBiasCheckForUser(t.db, bob, queued.id))).code).toBe('NOT_FOUND');
    const canceled = await cancelBiasCheckForUser(t.db, alice, queued.id);
    expect(canceled).toMatchObject({ status: 'canceled', error: 'canceled by the user' });
    expect((await appError(cancelBiasCheckForUser(t.db, alice, queued.id))).code).toBe('CONFLICT');
  });
});

describe('bias checks of scripts', () => {
  it('run in the sandbox and find what they find for the built-in the script was written from', async () => {
    for (const [type, params] of [
      ['sma_crossover', { fastPeriod: 10, slowPeriod: 30 }],
      ['dca', { intervalBars: 24 }],
    ] as const) {
      const script = await createScriptForUser(t.db, alice, { name: `${type} script` });
      const version = await addScriptVersion(t.db, alice, script.id, SCRIPT_TEMPLATES.find((s) => s.type === type)!.source);
      const strategy = await createStrategyForUser(t.db, alice, { name: `${type} as a script`, type: version.type, params, ...market });
      const queued = await createBiasCheck(t.db, alice, strategy.id, { start: START, end: END });
      await runWorkerUntil(finished(alice, queued.id));
      const done = await getBiasCheckForUser(t.db, alice, queued.id);
      const series = await readCandleSeries(t.db, market, START, END);
      const builtIn = checkBias(series, () => createStrategy(type, params), { initialCapital: 10_000, feeRate: 0.001, slippage: 0.0005, timeframe: '1h' });
      const view = (f: BiasFinding) => (f.passed ? { passed: true } : { passed: false, bar: f.bar, time: new Date(f.time!).toISOString(), detail: f.detail });
      expect(done, `${type}: the built-in's findings`).toMatchObject({
        status: 'completed',
        error: null,
        bars: builtIn.bars,
        settleBars: builtIn.settleBars,
        lookahead: view(builtIn.lookahead),
        recursive: view(builtIn.recursive),
      });
      if (type === 'dca') expect(done.recursive?.passed, "dca's schedule depends on the first bar, as a script too").toBe(false);
    }
  }, 120_000);
});
