/* eslint-disable no-restricted-imports -- these tests drive the real worker job runner in-process */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { annualisationFactor, runPortfolioBacktest } from '@/server/core/backtest';
import { deflatedSharpeOfChosen } from '@/server/core/robustness/significance';
import { AppError } from '@/server/core/errors';
import { floatToDecimalString } from '@/server/core/money/decimal';
import { createStrategy } from '@/server/core/strategies';
import { registerUser } from '@/server/services/auth/users';
import type { JobHandler } from '@/server/services/jobs/contract';
import { readCandleSeries, upsertCandles } from '@/server/services/market-data/candles';
import { createStrategyForUser, getStrategyForUser, updateStrategyForUser } from '@/server/services/strategies/strategies';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { fixtureRows } from '@/server/testing/fixtures';
import { logger } from '@/server/logger';
import { createJobRunner } from '@/server/worker/job-runner';
import { createDeflatedSharpe, getSignificanceForUser, SIGNIFICANCE_JOB_TYPE, significanceHandler } from '@/server/services/robustness/significance';
import { BACKTEST_JOB_TYPE, createBacktest, getBacktestEquity, getBacktestForUser } from './backtests';
import { backtestRunHandler } from './run-job';
import { backtestSweepHandler } from './sweep-job';
import { createSweep, getSweepForUser, SWEEP_JOB_TYPE } from './sweeps';

// Real Coinbase BTC/USD and ETH/USD 4h candles, stored under an exchange id no test enables (so "known market"
// means "its candles are stored", without asking any exchange).
const EXCHANGE = 'pairs_test';
const START = Date.parse('2020-01-01T00:00:00Z');
const END = Date.parse('2021-01-01T00:00:00Z');
const config = { initialCapital: 10_000, feeRate: 0.001, slippage: 0.0005 };
const params = { fastPeriod: 10, slowPeriod: 30, stopLossPct: 4 };

let t: TestDatabase;
let alice: string;

beforeAll(async () => {
  t = await createTestDatabase();
  alice = (await registerUser(t.db, { username: 'pairs-alice', password: 'long enough pw' })).id;
  await upsertCandles(t.db, { exchange: EXCHANGE, symbol: 'BTC/USD', timeframe: '4h' }, fixtureRows('btc-usd-4h'));
  await upsertCandles(t.db, { exchange: EXCHANGE, symbol: 'ETH/USD', timeframe: '4h' }, fixtureRows('eth-usd-4h'));
  // A third pair whose candles stop mid-range: it is backtested up to there (and only 2020-01 → 2020-07 stored).
  const btc = fixtureRows('btc-usd-4h').filter((r) => r[0] >= START && r[0] < Date.parse('2020-07-01T00:00:00Z'));
  await upsertCandles(
    t.db,
    { exchange: EXCHANGE, symbol: 'BTC2/USD', timeframe: '4h' },
    btc.map((r) => [r[0], r[1] / 10, r[2] / 10, r[3] / 10, r[4] / 10, r[5]]),
  );
  await upsertCandles(t.db, { exchange: EXCHANGE, symbol: 'BTC/EUR', timeframe: '4h' }, btc);
}, 60_000);
afterAll(() => t.destroy());

async function runWorkerUntil(done: () => Promise<boolean>): Promise<void> {
  const controller = new AbortController();
  const handlers = {
    [BACKTEST_JOB_TYPE]: backtestRunHandler,
    [SWEEP_JOB_TYPE]: backtestSweepHandler,
    [SIGNIFICANCE_JOB_TYPE]: significanceHandler,
  } as Record<string, JobHandler>;
  const runner = createJobRunner(handlers, { pollMs: 50, leaseMs: 30_000 });
  const stop = await runner.start({ database: t, workerId: 'pairs-worker', logger, signal: controller.signal });
  try {
    for (let i = 0; i < 600 && !(await done()); i++) await new Promise((r) => setTimeout(r, 50));
  } finally {
    controller.abort();
    await stop();
  }
}

async function fieldsOf(promise: Promise<unknown>): Promise<string[]> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, 'the call must fail with an AppError').toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe('UNPROCESSABLE');
  return ((error as AppError).details?.fields ?? []).map((f) => f.field);
}

const base = { name: 'Pairs', type: 'sma_crossover', params, exchange: EXCHANGE, timeframe: '4h' };

describe('pair-list strategies', () => {
  it('stores the list and the capital rules with their defaults', async () => {
    const strategy = await createStrategyForUser(t.db, alice, { ...base, symbols: ['BTC/USD', 'ETH/USD'] });
    expect(strategy.symbols).toEqual(['BTC/USD', 'ETH/USD']);
    expect(strategy.symbol, 'the first pair stands for the market where one is shown').toBe('BTC/USD');
    expect(strategy.capital, 'defaults: a slot per pair, equal split, list order').toEqual({
      maxOpenPositions: 2,
      stake: { type: 'equal_split' },
      priority: 'list',
    });
    const single = await createStrategyForUser(t.db, alice, { ...base, symbol: 'BTC/USD' });
    expect([single.symbols, single.capital], 'a single-market strategy is unchanged').toEqual([null, null]);
  });

  it('rejects a bad list with a 422 naming the entry', async () => {
    const create = (symbols: string[], extra: object = {}) => createStrategyForUser(t.db, alice, { ...base, symbols, ...extra });
    expect(await fieldsOf(create(['BTC/USD', 'ETH/USD', 'BTC/USD'])), 'a duplicate').toEqual(['symbols[2]']);
    expect(await fieldsOf(create(['BTC/USD', 'BTC/EUR'])), 'another quote currency').toEqual(['symbols[1]']);
    expect(await fieldsOf(create(['BTC/USD', 'ETH/USD', 'XRP/USD'])), 'an unknown market').toEqual(['symbols[2]']);
    expect(await fieldsOf(create(['BTC/USD', 'btc-usd'])), 'not a unified symbol').toEqual(['symbols[1]']);
    expect(await fieldsOf(create(Array.from({ length: 101 }, (_, i) => `C${i}/USD`))), 'over the maximum').toEqual(['symbols']);
    expect(await fieldsOf(create([])), 'empty').toEqual(['symbols']);
    expect(await fieldsOf(create(['BTC/USD'], { type: 'dca', params: {} })), 'DCA adds to positions').toEqual(['type']);
    expect(await fieldsOf(create(['BTC/USD'], { capital: { priority: 'score' } })), 'no entry score in sma_crossover').toEqual(['capital.priority']);
  });

  it('edits the list and the rules; a single-market strategy takes no capital rules', async () => {
    const strategy = await createStrategyForUser(t.db, alice, { ...base, symbols: ['BTC/USD'] });
    const edited = await updateStrategyForUser(t.db, alice, strategy.id, { symbols: ['ETH/USD', 'BTC/USD'], capital: { maxOpenPositions: 1 } });
    expect([edited.symbols, edited.capital?.maxOpenPositions]).toEqual([['ETH/USD', 'BTC/USD'], 1]);
    const rules = await updateStrategyForUser(t.db, alice, strategy.id, { capital: { stake: { type: 'fixed', quote: 2500 } } });
    expect(rules.capital, 'capital merges over the stored rules').toEqual({ maxOpenPositions: 1, stake: { type: 'fixed', quote: 2500 }, priority: 'list' });
    const single = await updateStrategyForUser(t.db, alice, strategy.id, { symbol: 'ETH/USD' });
    expect([single.symbol, single.symbols, single.capital], 'symbol makes it a single-market strategy again').toEqual(['ETH/USD', null, null]);
    expect(await fieldsOf(updateStrategyForUser(t.db, alice, strategy.id, { capital: { maxOpenPositions: 2 } }))).toEqual(['capital']);
  });
});

describe('pair-list backtests', () => {
  it('run on the worker and store exactly what the portfolio engine gives: trades with their symbol, the per-pair breakdown and equity', async () => {
    const symbols = ['BTC/USD', 'ETH/USD', 'BTC2/USD'];
    const capital = { maxOpenPositions: 2, stake: { type: 'pct_equity' as const, pct: 40 }, priority: 'list' as const };
    const strategy = await createStrategyForUser(t.db, alice, { ...base, symbols, capital });
    const queued = await createBacktest(t.db, alice, { strategyId: strategy.id, start: START, end: END, ...config });
    expect([queued.symbols, queued.capital], 'the list and rules are fixed for the run and stated').toEqual([symbols, capital]);
    await runWorkerUntil(async () => ['completed', 'failed'].includes((await getBacktestForUser(t.db, alice, queued.id)).status));
    const stored = await getBacktestForUser(t.db, alice, queued.id);
    expect(stored.status, stored.error ?? '').toBe('completed');

    const series = await Promise.all(symbols.map((symbol) => readCandleSeries(t.db, { exchange: EXCHANGE, symbol, timeframe: '4h' }, START, END)));
    const expected = runPortfolioBacktest(
      symbols.map((symbol, p) => ({ symbol, series: series[p]!, strategy: createStrategy('sma_crossover', strategy.params) })),
      { ...config, timeframe: '4h', ...capital },
    );
    expect(new Set(expected.trades.map((tr) => tr.symbol)), 'every pair trades in this year').toEqual(new Set(symbols));
    expect(stored.metrics, 'portfolio metrics equal the engine').toEqual(expected.metrics);
    expect(stored.barCount, 'every candle of every pair').toBe(series.reduce((sum, s) => sum + s.length, 0));
    expect(stored.pairs).toEqual(expected.pairs.map(({ equity: _equity, ...pair }) => pair));
    expect(stored.trades).toEqual(
      expected.trades.map((tr) => ({
        entryTime: new Date(tr.entryTime).toISOString(),
        exitTime: new Date(tr.exitTime).toISOString(),
        entryPrice: floatToDecimalString(tr.entryPrice),
        exitPrice: floatToDecimalString(tr.exitPrice),
        quantity: floatToDecimalString(tr.quantity),
        fee: floatToDecimalString(tr.fee),
        pnl: floatToDecimalString(tr.pnl),
        pnlPct: floatToDecimalString(tr.pnlPct),
        exitReason: tr.exitReason,
        symbol: tr.symbol,
      })),
    );
    const btc2Last = series[2]!.time[series[2]!.length - 1]!;
    expect(
      stored.trades.filter((tr) => tr.symbol === 'BTC2/USD' && tr.exitReason === 'end').map((tr) => tr.exitTime),
      'a pair whose data stops early is sold at its own last bar, if held',
    ).toEqual(expected.trades.filter((tr) => tr.symbol === 'BTC2/USD' && tr.exitReason === 'end').map(() => new Date(btc2Last).toISOString()));

    const chart = await getBacktestEquity(t.db, alice, queued.id);
    expect(expected.time.length, 'a year of 4h steps: more than the chart keeps').toBeGreaterThan(2000);
    expect(chart.time.length, 'downsampled to at most 2,000 points').toBeLessThanOrEqual(2000);
    expect(chart.time.at(-1), 'down to the last step').toBe(expected.time.at(-1));
    expect(chart.equity.at(-1)).toBe(expected.equity.at(-1));
    expect(chart.close, 'no single price for a pair list').toEqual([]);
    expect(chart.pairEquity.length).toBe(3);
    expect(chart.pairEquity[0]!.at(-1), 'a pair ends at its contribution: Σ pnl').toBe(expected.pairs[0]!.pnl);
    expect(chart.pairEquity[2]!.at(-1), 'a pair that stopped early keeps its final contribution').toBe(expected.pairs[2]!.pnl);
    expect((await getStrategyForUser(t.db, alice, strategy.id)).status).toBe('backtested');
  });

  it('needs candles of every pair in the range (422 naming the pair), for a backtest as for a sweep', async () => {
    const strategy = await createStrategyForUser(t.db, alice, { ...base, symbols: ['BTC/USD', 'BTC2/USD'] });
    const late = { strategyId: strategy.id, start: Date.parse('2020-08-01T00:00:00Z'), end: END, ...config };
    expect(await fieldsOf(createBacktest(t.db, alice, late))).toEqual(['symbols[1]']);
    expect(await fieldsOf(createSweep(t.db, alice, { ...late, ranges: { fastPeriod: { values: [5, 10] } } }))).toEqual(['symbols[1]']);
  });
});

describe('pair-list sweeps', () => {
  it('run each cell as a portfolio backtest: the best cell equals the stored backtest with its parameters, number for number', async () => {
    const symbols = ['BTC/USD', 'ETH/USD', 'BTC2/USD'];
    const capital = { maxOpenPositions: 2, stake: { type: 'equal_split' as const }, priority: 'list' as const };
    const strategy = await createStrategyForUser(t.db, alice, { ...base, name: 'Pairs sweep', symbols, capital });
    const sweep = await createSweep(t.db, alice, {
      strategyId: strategy.id,
      start: START,
      end: END,
      ...config,
      ranges: { fastPeriod: { values: [5, 10] }, slowPeriod: { values: [20, 40] } },
    });
    expect([sweep.symbols, sweep.capital, sweep.combinationCount], 'the list and rules are fixed for the sweep and stated').toEqual([symbols, capital, 4]);
    await runWorkerUntil(async () => !['queued', 'running'].includes((await getSweepForUser(t.db, alice, sweep.id)).status));
    const done = await getSweepForUser(t.db, alice, sweep.id);
    expect(done.status, done.error ?? '').toBe('completed');

    const series = await Promise.all(symbols.map((symbol) => readCandleSeries(t.db, { exchange: EXCHANGE, symbol, timeframe: '4h' }, START, END)));
    for (const cell of done.results) {
      const engine = runPortfolioBacktest(
        symbols.map((symbol, p) => ({ symbol, series: series[p]!, strategy: createStrategy('sma_crossover', cell.params) })),
        { ...config, timeframe: '4h', ...capital },
      );
      expect(cell.metrics, JSON.stringify(cell.params)).toEqual(engine.metrics);
    }
    // The deflated Sharpe ratio of its best cell re-runs that cell as a portfolio backtest.
    const dsr = await createDeflatedSharpe(t.db, alice, sweep.id);
    await runWorkerUntil(async () => !['queued', 'running'].includes((await getSignificanceForUser(t.db, alice, dsr.id)).status));
    const significance = await getSignificanceForUser(t.db, alice, dsr.id);
    expect(significance.status, significance.error ?? '').toBe('completed');
    const bySharpe = done.results.reduce((a, b) => (b.metrics!.sharpeRatio > a.metrics!.sharpeRatio ? b : a));
    const bestRun = runPortfolioBacktest(
      symbols.map((symbol, p) => ({ symbol, series: series[p]!, strategy: createStrategy('sma_crossover', bySharpe.params) })),
      { ...config, timeframe: '4h', ...capital },
    );
    const sharpes = done.results.map((r) => r.metrics!.sharpeRatio);
    expect(significance.result).toEqual({
      ...deflatedSharpeOfChosen(sharpes, annualisationFactor(4 * 3_600_000), bestRun.equity),
      bestParams: bySharpe.params,
      bestSharpeRatio: bySharpe.metrics!.sharpeRatio,
    });

    const best = done.results.reduce((a, b) => (b.metrics!.totalReturnPct > a.metrics!.totalReturnPct ? b : a));
    expect(new Set(done.results.map((r) => r.metrics!.totalReturnPct)).size, 'the cells differ: "best" means something').toBeGreaterThan(1);

    await updateStrategyForUser(t.db, alice, strategy.id, { params: best.params });
    const backtest = await createBacktest(t.db, alice, { strategyId: strategy.id, start: START, end: END, ...config });
    await runWorkerUntil(async () => ['completed', 'failed'].includes((await getBacktestForUser(t.db, alice, backtest.id)).status));
    const stored = await getBacktestForUser(t.db, alice, backtest.id);
    expect(stored.status, stored.error ?? '').toBe('completed');
    expect(stored.params, 'the best cell’s parameters').toEqual(best.params);
    expect(stored.metrics, 'the stored portfolio backtest of the best cell').toEqual(best.metrics);
  });
});
