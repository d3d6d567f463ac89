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
import { SCRIPT_TEMPLATES } from '@/server/core/scripts/templates';
import { addScriptVersion, createScriptForUser } from '@/server/services/scripts/scripts';

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
  // The sma_crossover template as a user script: its plots are computed by the worker's sandbox.
  const script = await createScriptForUser(t.db, alice.id, { name: 'Chart SMA' });
  const version = await addScriptVersion(t.db, alice.id, script.id, SCRIPT_TEMPLATES.find((s) => s.type === 'sma_crossover')!.source);
  runs.script = await completedBacktest(alice.id, version.type, { fastPeriod: 10, slowPeriod: 30 });
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

  it('completedOnly: a queued run is refused (CONFLICT), not answered with a window without trades; a completed one answers', async () => {
    const strategy = await createStrategyForUser(t.db, alice.id, {
      name: 'queued',
      type: 'sma_crossover',
      params: { fastPeriod: 10, slowPeriod: 30 },
      ...market,
    });
    const { id } = await createBacktest(t.db, alice.id, { strategyId: strategy.id, start: START, end: END, ...config }); // no runner: it stays queued
    await expect(getBacktestChartWindow(t.db, alice.id, id, { maxBars: 50 }, { completedOnly: true })).rejects.toMatchObject({ code: 'CONFLICT' });
    const anyway = await getBacktestChartWindow(t.db, alice.id, id, { maxBars: 50 });
    expect(anyway.markers, 'without completedOnly: the bars, no trades yet').toEqual([]);
    expect(await getBacktestChartWindow(t.db, alice.id, runs.sma!, { maxBars: 50 }, { completedOnly: true })).toEqual(
      await getBacktestChartWindow(t.db, alice.id, runs.sma!, { maxBars: 50 }),
    );
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

  it("a script's run carries its declared plots, computed by the worker's sandbox: the built-in's values at every zoom", async () => {
    const series = await readCandleSeries(t.db, market, START, END);
    const definition = getStrategyDefinition('sma_crossover');
    const expected = definition.plotValues!(series, parseParams(definition, { fastPeriod: 10, slowPeriod: 30 }));
    const window = await getBacktestChartWindow(t.db, alice.id, runs.script!, {});
    expect(window.aggregated).toBe(false);
    expect(window.plots.map(({ values: _values, ...spec }) => spec)).toEqual([
      { name: 'fast_ma', label: 'Fast SMA', pane: 'price', style: 'line', color: '#f59e0b' },
      { name: 'slow_ma', label: 'Slow SMA', pane: 'price', style: 'line', color: '#6366f1' },
    ]);
    // The script's SDK sma keeps a running sum, the built-in's exact sums: equal to ~1e-12 relative, null alike.
    const close = (actual: (number | null)[], expected: (number | null)[]) => {
      expect(actual.map((v) => v === null)).toEqual(expected.map((v) => v === null));
      actual.forEach((v, k) => {
        if (v !== null) expect(Math.abs(v - expected[k]!)).toBeLessThan(1e-9 * Math.abs(expected[k]!));
      });
    };
    const sampled = [0, 8, 9, 28, 29, 100, 377, series.length - 1];
    close(
      sampled.map((i) => window.plots[0]!.values[i]!),
      asNullable(expected.fast_ma!, sampled),
    );
    close(
      sampled.map((i) => window.plots[1]!.values[i]!),
      asNullable(expected.slow_ma!, sampled),
    );
    expect(window.plots[0]!.values[8], 'fast SMA warming up').toBeNull();
    expect(window.plots[1]!.values[28], 'slow SMA warming up').toBeNull();
    expect(window.plots[1]!.values[100]).toBeCloseTo(series.close.subarray(71, 101).reduce((a, b) => a + b, 0) / 30, 6);
    // The same run as the built-in (same trades), and zoomed out the same stored aggregates.
    expect(window.markers).toEqual((await getBacktestChartWindow(t.db, alice.id, runs.sma!, {})).markers);
    const [zoomed, builtIn] = await Promise.all([
      getBacktestChartWindow(t.db, alice.id, runs.script!, { maxBars: 100 }),
      getBacktestChartWindow(t.db, alice.id, runs.sma!, { maxBars: 100 }),
    ]);
    expect(zoomed.bucketMs).toBe(8 * HOUR);
    expect(zoomed.candles).toEqual(builtIn.candles);
    expect(zoomed.plots.map((p) => p.name)).toEqual(['fast_ma', 'slow_ma']);
    zoomed.plots.forEach((plot, p) => close(plot.values, builtIn.plots[p]!.values));
    // Over REST, as a built-in's.
    const response = await getChartWindow(
      new Request(`http://localhost/api/v1/backtests/${runs.script!}/chart?maxBars=100`, { headers: { authorization: `Bearer ${alice.token}` } }),
      { params: Promise.resolve({ id: runs.script! }) },
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as ChartWindowView;
    expect(body.plots).toEqual(zoomed.plots);
  });

  it("a script's run whose chart was not stored by the worker (older runs): the web app stores it without plots", async () => {
    const id = await completedBacktest(alice.id, (await getBacktestForUser(t.db, alice.id, runs.script!)).strategyType, { fastPeriod: 12, slowPeriod: 26 });
    await deleteBacktestChart(t.db, id);
    const window = await getBacktestChartWindow(t.db, alice.id, id, { maxBars: 50 });
    expect(window.candles.time.length).toBeGreaterThan(0);
    expect(window.markers.length).toBeGreaterThan(0);
    expect(window.plots, 'no sandbox in the web app').toEqual([]);
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
