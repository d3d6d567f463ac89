/* eslint-disable no-restricted-imports -- this test drives the real worker job runner in-process */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPortfolioBacktest, type PortfolioConfig } from '@/server/core/backtest';
import { sliceByTime } from '@/server/core/candles';
import { objectiveScore, stitchOutOfSample, type OutOfSamplePart } from '@/server/core/robustness/walk-forward';
import { AppError } from '@/server/core/errors';
import { createStrategy } from '@/server/core/strategies';
import { logger } from '@/server/logger';
import { registerUser } from '@/server/services/auth/users';
import { upsertCandles } from '@/server/services/market-data/candles';
import { createStrategyForUser } from '@/server/services/strategies/strategies';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { fixtureRows, fixtureSeries } from '@/server/testing/fixtures';
import { createJobRunner } from '@/server/worker/job-runner';
import { createWalkForwardFoldJobHandler } from './walk-forward-job';
import { createWalkForward, getWalkForwardForUser, WALK_FORWARD_FOLD_JOB_TYPE } from './walk-forwards';

// Real Coinbase BTC/USD and ETH/USD 4h candles under an exchange id no test enables ("known market": candles stored).
const EXCHANGE = 'wf_pairs_test';
const START = Date.parse('2020-01-01T00:00:00Z');
const END = Date.parse('2021-01-01T00:00:00Z');
const SYMBOLS = ['BTC/USD', 'ETH/USD'];
const FIXTURES = { 'BTC/USD': 'btc-usd-4h', 'ETH/USD': 'eth-usd-4h' } as const;
const config = { initialCapital: 10_000, feeRate: 0.001, slippage: 0.0005 };
const objective = { objective: 'returnMinusDrawdown', drawdownWeight: 0.5, minTrades: 2 } as const;

let t: TestDatabase;
let alice: string;

beforeAll(async () => {
  t = await createTestDatabase();
  alice = (await registerUser(t.db, { username: 'wf-pairs-alice', password: 'long enough pw' })).id;
  for (const symbol of SYMBOLS) await upsertCandles(t.db, { exchange: EXCHANGE, symbol, timeframe: '4h' }, fixtureRows(FIXTURES[symbol as 'BTC/USD']));
}, 60_000);
afterAll(() => t.destroy());

async function runWorkerUntilDone(id: string): Promise<void> {
  const controller = new AbortController();
  const runner = createJobRunner({ [WALK_FORWARD_FOLD_JOB_TYPE]: createWalkForwardFoldJobHandler({ threads: 1 }) }, { pollMs: 50 });
  const stop = await runner.start({ database: t, workerId: 'wf-pairs-worker', logger, signal: controller.signal });
  try {
    const terminal = ['completed', 'failed', 'canceled'];
    for (let i = 0; i < 2400 && !terminal.includes((await getWalkForwardForUser(t.db, alice, id)).status); i++) await new Promise((r) => setTimeout(r, 50));
  } finally {
    controller.abort();
    await stop();
  }
}

describe('walk-forward over a pair list', () => {
  it('searches, runs and stitches portfolio backtests: each fold number for number the portfolio backtests of its cells', async () => {
    const strategy = await createStrategyForUser(t.db, alice, {
      name: 'wf pairs',
      type: 'sma_crossover',
      params: { fastPeriod: 10, slowPeriod: 30, stopLossPct: 4 },
      exchange: EXCHANGE,
      timeframe: '4h',
      symbols: SYMBOLS,
      // One slot for two pairs: the list's order decides contended bars, as in a backtest.
      capital: { maxOpenPositions: 1 },
    });
    const queued = await createWalkForward(t.db, alice, {
      strategyId: strategy.id,
      start: START,
      end: END,
      ...config,
      folds: 2,
      anchored: false,
      space: { fastPeriod: [5, 10], slowPeriod: [20, 40] },
      search: { method: 'grid', seed: 3 },
      ...objective,
    });
    expect([queued.symbols, queued.capital]).toEqual([SYMBOLS, strategy.capital]);
    await runWorkerUntilDone(queued.id);
    const done = await getWalkForwardForUser(t.db, alice, queued.id);
    expect(done.status, done.error ?? '').toBe('completed');

    const engine: PortfolioConfig = { ...config, timeframe: '4h', ...strategy.capital! };
    const run = (start: string, end: string, params: Record<string, unknown>) =>
      runPortfolioBacktest(
        SYMBOLS.map((symbol) => ({
          symbol,
          series: sliceByTime(fixtureSeries(FIXTURES[symbol as 'BTC/USD']), Date.parse(start), Date.parse(end)),
          strategy: createStrategy('sma_crossover', params),
        })),
        engine,
      );
    const parts: OutOfSamplePart[] = [];
    for (const fold of done.folds) {
      // Every cell of the grid as a portfolio backtest over the in-sample window; the best one out of sample.
      let best: { score: number; params: Record<string, unknown>; metrics: unknown; bars: number } | null = null;
      for (const fastPeriod of [5, 10])
        for (const slowPeriod of [20, 40]) {
          const params = { fastPeriod, slowPeriod, stopLossPct: 4 };
          const result = run(fold.inSample.start, fold.inSample.end, params);
          const score = objectiveScore(result.metrics, objective);
          if (score !== null && (!best || score > best.score)) best = { score, params, metrics: result.metrics, bars: result.time.length };
        }
      expect(best, `fold ${fold.fold}: some cell is feasible`).not.toBeNull();
      const oos = run(fold.outOfSample.start, fold.outOfSample.end, best!.params);
      expect(fold).toMatchObject({ chosen: { fastPeriod: best!.params.fastPeriod, slowPeriod: best!.params.slowPeriod }, params: best!.params });
      expect(fold.objective).toBe(best!.score);
      expect(fold.inSampleMetrics).toEqual(best!.metrics);
      expect(fold.outOfSampleMetrics).toEqual(oos.metrics);
      expect([fold.inSampleBars, fold.outOfSampleBars], 'bars are the portfolio steps').toEqual([best!.bars, oos.time.length]);
      parts.push({ series: { time: oos.time, length: oos.time.length }, run: { equity: oos.equity, trades: oos.trades, metrics: oos.metrics } });
    }
    const stitched = stitchOutOfSample(parts, config.initialCapital, 4 * 3_600_000);
    expect(done.outOfSampleMetrics, 'stitched from the portfolio equity').toEqual(stitched.metrics);
    expect(done.equity).toEqual(stitched.equity);
  }, 180_000);

  it('refuses at creation (422 naming the pair) a list with a pair that has no candles in one fold’s windows', async () => {
    // GAP/USD: BTC's candles of the first half of 2020 only; the range as a whole has some, the third fold none.
    const gap = fixtureRows('btc-usd-4h').filter(([time]) => time < Date.parse('2020-07-01T00:00:00Z'));
    await upsertCandles(t.db, { exchange: EXCHANGE, symbol: 'GAP/USD', timeframe: '4h' }, gap);
    const strategy = await createStrategyForUser(t.db, alice, {
      name: 'wf pairs with a gap',
      type: 'sma_crossover',
      params: { fastPeriod: 10, slowPeriod: 30 },
      exchange: EXCHANGE,
      timeframe: '4h',
      symbols: [...SYMBOLS, 'GAP/USD'],
    });
    const create = (folds: number) =>
      createWalkForward(t.db, alice, {
        strategyId: strategy.id,
        start: START,
        end: END,
        ...config,
        folds,
        anchored: false,
        space: { fastPeriod: [5, 10] },
        search: { method: 'grid' },
        ...objective,
      });
    // 3 rolling folds over 2020: four 3-month segments; fold 3 reads July to December.
    const error = await create(3).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error, 'refused before any fold is queued').toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('UNPROCESSABLE');
    const [field] = (error as AppError).details?.fields ?? [];
    expect(field?.field).toBe('symbols[2]');
    expect(field?.message).toMatch(/^no wf_pairs_test GAP\/USD 4h candles between 2020-07-0.*\(fold 3’s windows\)/);
    // One fold over January to December: every pair has candles in it.
    expect((await create(1)).status).toBe('queued');
  });
});
