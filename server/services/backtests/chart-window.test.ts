/* eslint-disable no-restricted-imports -- these tests drive the real worker job runner and the REST handler in-process */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDatabase } from '@/db/client';
import { GET as getChartWindow } from '@/app/api/v1/backtests/[id]/chart/route';
import { getStrategyDefinition, parseParams } from '@/server/core/strategies';
import { getEnv } from '@/server/env';
import { logger } from '@/server/logger';
import { issueTokenPair } from '@/server/services/auth/tokens';
import { findUserById, registerUser } from '@/server/services/auth/users';
import { readCandleSeries, upsertCandles } from '@/server/services/market-data/candles';
import { type ChartWindowView } from '@/server/services/market-data/chart-window';
import { createStrategyForUser } from '@/server/services/strategies/strategies';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { fixtureRows } from '@/server/testing/fixtures';
import { createJobRunner } from '@/server/worker/job-runner';
import { BACKTEST_JOB_TYPE, createBacktest, getBacktestForUser } from './backtests';
import { getBacktestChartWindow } from './chart-window';
import { deleteBacktestChart } from './chart-store';
import { aggregateBars, windowPlots } from '@/server/core/charts/window';
import { backtests } from '@/db/schema';
import { eq } from 'drizzle-orm';
import { backtestRunHandler } from './run-job';

let t: TestDatabase;
let alice: { id: string; token: string };
let bob: { id: string; token: string };
const market = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' };
const HOUR = 3_600_000;
const START = Date.parse('2018-01-01T00:00:00Z');
const END = Date.parse('2018-02-01T00:00:00Z');
const config = { initialCapital: 10_000, feeRate: 0.001, slippage: 0.0005 };
const runs: Record<string, string> = {};

async function completedBacktest(userId: string, type: string, params: Record<string, unknown>): Promise<string> {
  const strategy = await createStrategyForUser(t.db, userId, { name: type, type, params, ...market });
  const { id } = await createBacktest(t.db, userId, { strategyId: strategy.id, start: START, end: END, ...config });
  const controller = new AbortController();
  const runner = createJobRunner({ [BACKTEST_JOB_TYPE]: backtestRunHandler }, { pollMs: 50, leaseMs: 30_000 });
  const stop = await runner.start({ database: t, workerId: 'chart-worker', logger, signal: controller.signal });
  try {
    for (let i = 0; i < 600; i++) {
      const status = (await getBacktestForUser(t.db, userId, id)).status;
      if (status !== 'queued' && status !== 'running') break;
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    controller.abort();
    await stop();
  }
  expect((await getBacktestForUser(t.db, userId, id)).status).toBe('completed');
  return id;
}

beforeAll(async () => {
  t = await createTestDatabase();
  process.env.DATABASE_URL = t.url;
  const make = async (username: string) => {
    const { id } = await registerUser(t.db, { username, password: 'long enough pw 1' });
    const found = (await findUserById(t.db, id))!;
    return { id, token: (await issueTokenPair(t.db, found, { secret: getEnv().NEXTAUTH_SECRET, refreshTokenTtlDays: 1 })).accessToken };
  };
  alice = await make('chart-alice');
  bob = await make('chart-bob');
  await upsertCandles(t.db, market, fixtureRows('btc-usd-1h'));

  runs.sma = await completedBacktest(alice.id, 'sma_crossover', { fastPeriod: 10, slowPeriod: 30 });
  runs.ema = await completedBacktest(alice.id, 'ema_crossover', { fastPeriod: 12, slowPeriod: 26 });
}, 120_000);
afterAll(async () => {
  await getDatabase().close();
  await t.destroy();
});

const asNullable = (column: Float64Array, indexes: number[]) => indexes.map((i) => (Number.isFinite(column[i]!) ? column[i]! : null));

describe('GET /api/v1/backtests/{id}/chart: a window of the price chart', () => {
  it('the whole run at full resolution: its candles, the plots the engine read and every trade as two markers', async () => {
    const window = await getBacktestChartWindow(t.db, alice.id, runs.sma!, {});
    const series = await readCandleSeries(t.db, market, START, END);
    expect(window.aggregated).toBe(false);
    expect(window.bucketMs).toBe(HOUR);
    expect(window.candles.time).toEqual(Array.from(series.time));
    expect(window.candles.close).toEqual(Array.from(series.close));
    const definition = getStrategyDefinition('sma_crossover');
    const expected = definition.plotValues!(series, parseParams(definition, { fastPeriod: 10, slowPeriod: 30 }));
    const all = Array.from({ length: series.length }, (_, i) => i);
    expect(window.plots.map((p) => p.name)).toEqual(['fast_ma', 'slow_ma']);
    expect(window.plots[0]!.values).toEqual(asNullable(expected.fast_ma!, all));
    expect(window.plots[1]!.values[28], 'slow SMA warming up').toBeNull();
    expect(window.plots[1]!.values[29], 'slow SMA defined from bar 30').not.toBeNull();

    const trades = (await getBacktestForUser(t.db, alice.id, runs.sma!)).trades;
    expect(trades.length).toBeGreaterThan(5);
    expect(window.markers.length, 'an entry and an exit per trade').toBe(trades.length * 2);
    trades.forEach((trade, k) => {
      const buy = window.markers.find((m) => m.tradeNumber === k + 1 && m.side === 'buy')!;
      const sell = window.markers.find((m) => m.tradeNumber === k + 1 && m.side === 'sell')!;
      expect(buy).toMatchObject({ time: Date.parse(trade.entryTime), price: trade.entryPrice, quantity: trade.quantity, pnl: null });
      expect(sell).toMatchObject({ time: Date.parse(trade.exitTime), price: trade.exitPrice, pnl: trade.pnl, pnlPct: trade.pnlPct });
      expect(window.candles.time, 'a marker sits on a candle of the window').toContain(buy.time);
    });
  });

  it("an EMA's values inside a narrow window are the whole run's (computed from the run's first bar, not the window's)", async () => {
    const from = START + 400 * HOUR;
    const to = from + 50 * HOUR;
    const window = await getBacktestChartWindow(t.db, alice.id, runs.ema!, { from, to });
    const series = await readCandleSeries(t.db, market, START, END);
    const definition = getStrategyDefinition('ema_crossover');
    const expected = definition.plotValues!(series, parseParams(definition, { fastPeriod: 12, slowPeriod: 26 }));
    const indexes = Array.from({ length: 50 }, (_, k) => 400 + k);
    expect(window.candles.time).toEqual(indexes.map((i) => series.time[i]!));
    expect(window.plots.find((p) => p.name === 'slow_ma')!.values).toEqual(asNullable(expected.slow_ma!, indexes));
    const trades = (await getBacktestForUser(t.db, alice.id, runs.ema!)).trades;
    const inside = trades.flatMap((tr) => [Date.parse(tr.entryTime), Date.parse(tr.exitTime)]).filter((time) => time >= from && time < to);
    expect(window.markers.map((m) => m.barTime).sort(), 'exactly the fills inside the window').toEqual(inside.sort());
  });

  it('aggregates 744 hourly bars into 8h buckets for maxBars 100, markers on their bucket', async () => {
    // slots = 744, needed = ceil(744 / 99) = 8 h, and 8h is a bucket width: ≤ 94 buckets of 8 bars
    const window = await getBacktestChartWindow(t.db, alice.id, runs.sma!, { maxBars: 100 });
    const series = await readCandleSeries(t.db, market, START, END);
    expect(window.aggregated).toBe(true);
    expect(window.bucketMs).toBe(8 * HOUR);
    expect(window.candles.time.length).toBe(93);
    const first8 = Array.from({ length: 8 }, (_, i) => i);
    expect(window.candles.open[0]).toBe(series.open[0]);
    expect(window.candles.high[0]).toBe(Math.max(...first8.map((i) => series.high[i]!)));
    expect(window.candles.low[0]).toBe(Math.min(...first8.map((i) => series.low[i]!)));
    expect(window.candles.close[0]).toBe(series.close[7]);
    expect(window.candles.volume[0]).toBeCloseTo(
      first8.reduce((sum, i) => sum + series.volume[i]!, 0),
      9,
    );
    for (const marker of window.markers) expect(marker.time).toBe(Math.floor(marker.barTime / (8 * HOUR)) * 8 * HOUR);
    const trades = (await getBacktestForUser(t.db, alice.id, runs.sma!)).trades;
    const keys = window.markers.map((m) => `${m.time}|${m.side}`);
    expect(new Set(keys).size, 'zoomed out: one marker per candle and side').toBe(keys.length);
    expect(
      window.markers.reduce((sum, m) => sum + 1 + m.more, 0),
      'with `more` counting the other fills on that candle',
    ).toBe(trades.length * 2);
  });

  it('zoomed out past the stored widths: whole buckets read from the stored 1w aggregates equal the bars aggregated', async () => {
    // slots = 744, needed = ceil(744 / 9) = 83 h → 1w (168 h), a stored width for 1h bars: read from its chunks
    const from = START + 50 * HOUR; // mid-bucket: the window's buckets are whole, from the first bar's bucket
    const window = await getBacktestChartWindow(t.db, alice.id, runs.sma!, { from, maxBars: 10 });
    expect(window.bucketMs).toBe(7 * 24 * HOUR);
    const week = 7 * 24 * HOUR;
    const bucketsFrom = Math.floor(from / week) * week;
    const series = await readCandleSeries(t.db, market, Math.max(START, bucketsFrom), END);
    const { candles, lastIndex } = aggregateBars(series, 0, series.length, week);
    expect(window.candles.time).toEqual(candles.time);
    expect(window.candles.open).toEqual(candles.open);
    expect(window.candles.high).toEqual(candles.high);
    expect(window.candles.low).toEqual(candles.low);
    expect(window.candles.close).toEqual(candles.close);
    expect(window.candles.volume, 'the stored aggregate sums the same bars in the same order').toEqual(candles.volume);
    const all = await readCandleSeries(t.db, market, START, END);
    const definition = getStrategyDefinition('sma_crossover');
    const expected = definition.plotValues!(all, parseParams(definition, { fastPeriod: 10, slowPeriod: 30 }));
    const offset = all.length - series.length;
    expect(window.plots[1]!.values).toEqual(
      windowPlots(
        { slow: expected.slow_ma! },
        lastIndex.map((i) => i + offset),
      ).slow,
    );
  });

  it('narrow buckets (2h, fewer bars than a stored width) are aggregated from the bars with their stored plots', async () => {
    // 200 bars, maxBars 100: needed = ceil(200 / 99) = 3 h → 4h buckets, 4 bars each (< 6: aggregated from the bars)
    const from = START + 101 * HOUR;
    const window = await getBacktestChartWindow(t.db, alice.id, runs.ema!, { from, to: from + 200 * HOUR, maxBars: 100 });
    expect(window.bucketMs).toBe(4 * HOUR);
    const all = await readCandleSeries(t.db, market, START, END);
    const start = Math.floor(from / (4 * HOUR)) * 4 * HOUR;
    const first = (start - START) / HOUR;
    const { candles, lastIndex } = aggregateBars(all, first, first + 204, 4 * HOUR);
    expect(window.candles).toEqual(candles);
    const definition = getStrategyDefinition('ema_crossover');
    const expected = definition.plotValues!(all, parseParams(definition, { fastPeriod: 12, slowPeriod: 26 }));
    expect(window.plots.find((p) => p.name === 'fast_ma')!.values).toEqual(windowPlots({ f: expected.fast_ma! }, lastIndex).f);
  });

  it('a run completed before the chart store: its first window stores it, with the same answer', async () => {
    const before = await getBacktestChartWindow(t.db, alice.id, runs.ema!, { maxBars: 50 });
    await deleteBacktestChart(t.db, runs.ema!);
    const [cleared] = await t.db.select({ chartStore: backtests.chartStore }).from(backtests).where(eq(backtests.id, runs.ema!));
    expect(cleared!.chartStore).toBeNull();
    expect(await getBacktestChartWindow(t.db, alice.id, runs.ema!, { maxBars: 50 })).toEqual(before);
    const [stored] = await t.db.select({ chartStore: backtests.chartStore }).from(backtests).where(eq(backtests.id, runs.ema!));
    expect(stored!.chartStore?.plots).toEqual(['fast_ma', 'slow_ma']);
  });

  it('over REST: bad windows are 422 naming the field, another user’s backtest is 404', async () => {
    const get = (id: string, query: string, token: string) =>
      getChartWindow(new Request(`http://localhost/api/v1/backtests/${id}/chart?${query}`, { headers: { authorization: `Bearer ${token}` } }), {
        params: Promise.resolve({ id }),
      });
    const ok = await get(runs.sma!, `from=2018-01-10T00:00:00Z&to=${START + 10 * 24 * HOUR}&maxBars=10`, alice.token);
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as ChartWindowView;
    expect(body.candles.time.length).toBeLessThanOrEqual(10);
    expect(body.candles.time.length).toBeGreaterThan(0);

    const tooFew = await get(runs.sma!, 'maxBars=5', alice.token);
    expect(tooFew.status).toBe(422);
    expect(JSON.stringify(await tooFew.json())).toContain('maxBars');
    const backwards = await get(runs.sma!, `from=${END}&to=${START}`, alice.token);
    expect(backwards.status).toBe(422);
    expect(JSON.stringify(await backwards.json())).toMatch(/"to"[^]*after from|after from[^]*"to"/);
    expect((await get(runs.sma!, '', bob.token)).status).toBe(404);
  });
});
