/**
 * Chart windows of a one-year 1-minute backtest (525,600 bars; issue #14): the server time of
 * `GET /api/v1/backtests/{id}/chart?from=&to=&maxBars=` at every zoom level, against the ≤ 100 ms target.
 *
 * What is timed: the service call behind the route (getBacktestChartWindow: the user-scoped row, the cached
 * series and plots, slicing and aggregation, the trades-in-window query) plus JSON.stringify of its answer,
 * in-process on a real PostgreSQL. Not timed: HTTP, auth and Next.js routing (measured for other routes in the
 * api section of `npm run bench`). The first window of a run reads its candles and computes its plots (cold);
 * every later one is served from the web process's cache (warm) — both are reported.
 *
 * Runnable alone:  DATABASE_URL=postgres://… npx tsx bench/chart-window.ts [--runs=N]
 */
import { createDatabase } from '../db/client';
import { createSimulatedMarket } from '../server/core/market/simulated';
import { registerUser } from '../server/services/auth/users';
import { createBacktest } from '../server/services/backtests/backtests';
import { getBacktestChartWindow } from '../server/services/backtests/chart-window';
import { runBacktestJob } from '../server/services/backtests/run-job';
import { upsertCandles } from '../server/services/market-data/candles';
import { clearChartCache } from '../server/services/market-data/chart-window';
import { createStrategyForUser } from '../server/services/strategies/strategies';
import { startBenchDatabase } from './api';
import { roundSummary, summarize } from './lib/stats';

export const CHART_WINDOW_TARGET_MS = 100;
const BARS = 525_600;
const KEY = { exchange: 'simulated', symbol: 'BTC/USDT', timeframe: '1m' } as const;
const ORIGIN_MS = Date.UTC(2024, 0, 1);
const MINUTE = 60_000;

export type ChartWindowBenchResult = Awaited<ReturnType<typeof benchChartWindow>>;

export async function benchChartWindow(runs: number, log: (line: string) => void = console.log) {
  const bench = await startBenchDatabase(log);
  const database = createDatabase(bench.url, { max: 4, applicationName: 'cryptobot-bench-chart' });
  try {
    const rows = createSimulatedMarket({ seed: 2024, timeframe: KEY.timeframe, originMs: ORIGIN_MS }).candles(ORIGIN_MS, ORIGIN_MS + BARS * MINUTE);
    await upsertCandles(database.db, KEY, rows);
    const { id: userId } = await registerUser(database.db, { username: 'bench-chart', password: 'long enough pw 1' });
    const strategy = await createStrategyForUser(database.db, userId, {
      name: 'bench',
      type: 'sma_crossover',
      params: { fastPeriod: 10, slowPeriod: 30 },
      ...KEY,
    });
    const { id } = await createBacktest(database.db, userId, {
      strategyId: strategy.id,
      start: ORIGIN_MS,
      end: ORIGIN_MS + BARS * MINUTE,
      initialCapital: 10_000,
      feeRate: 0.001,
      slippage: 0.0005,
    });
    await runBacktestJob({
      db: database.db,
      job: { userId } as never,
      payload: { backtestId: id },
      workerId: 'bench',
      signal: new AbortController().signal,
      progress: async () => {},
    });
    const time = async (request: { from?: number; to?: number; maxBars?: number }) => {
      const started = performance.now();
      const window = await getBacktestChartWindow(database.db, userId, id, request);
      const bytes = JSON.stringify(window).length;
      return { ms: performance.now() - started, candles: window.candles.time.length, markers: window.markers.length, bytes };
    };
    const YEAR = BARS * MINUTE;
    const zooms: Array<{ name: string; span: number; maxBars: number }> = [
      { name: 'year, 1,000 candles', span: YEAR, maxBars: 1_000 },
      { name: 'year, 5,000 candles', span: YEAR, maxBars: 5_000 },
      { name: 'quarter', span: YEAR / 4, maxBars: 2_000 },
      { name: 'month', span: 30 * 24 * 60 * MINUTE, maxBars: 2_000 },
      { name: 'week', span: 7 * 24 * 60 * MINUTE, maxBars: 2_000 },
      { name: 'day (raw 1m)', span: 24 * 60 * MINUTE, maxBars: 2_000 },
      { name: '3 hours (raw 1m)', span: 3 * 60 * MINUTE, maxBars: 1_000 },
    ];
    const coldRuns: number[] = [];
    for (let r = 0; r < Math.min(3, runs); r++) {
      clearChartCache();
      coldRuns.push((await time({ maxBars: 1_000 })).ms);
    }
    const results = [];
    for (const zoom of zooms) {
      const samples: number[] = [];
      let last = { candles: 0, markers: 0, bytes: 0 };
      for (let r = 0; r < runs; r++) {
        // a different place in the year on every run, as a pan would ask
        const from = ORIGIN_MS + Math.floor(((YEAR - zoom.span) * r) / Math.max(1, runs - 1) / MINUTE) * MINUTE;
        const result = await time({ from, to: from + zoom.span, maxBars: zoom.maxBars });
        samples.push(result.ms);
        last = result;
      }
      results.push({
        zoom: zoom.name,
        maxBars: zoom.maxBars,
        candles: last.candles,
        markers: last.markers,
        jsonBytes: last.bytes,
        ms: roundSummary(summarize(samples)),
      });
    }
    return {
      bars: BARS,
      strategy: 'sma_crossover 10/30',
      coldFirstWindowMs: roundSummary(summarize(coldRuns)),
      warm: results,
      targetMs: CHART_WINDOW_TARGET_MS,
    };
  } finally {
    await database.close();
    await bench.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const runs = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice(7) ?? 10);
  benchChartWindow(runs).then(
    (result) => {
      console.log(JSON.stringify(result, null, 2));
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
