/**
 * Chart windows of a one-year 1-minute backtest (525,600 bars; issue #14): the server time of
 * `GET /api/v1/backtests/{id}/chart?from=&to=&maxBars=` at every zoom level, against the ≤ 100 ms target.
 * Quick (`--quick`): two weeks of 1m bars (20,160), the same zoom levels scaled down — a smoke run.
 *
 * What is timed: the service call behind the route (getBacktestChartWindow: the user-scoped row, the stored chart's
 * chunks or ≤ 5,000 bars of candles, aggregation, the markers query) plus JSON.stringify of its answer, in-process on
 * a real PostgreSQL. Not timed: HTTP, auth and Next.js routing (measured for other routes in the api section of
 * `npm run bench`). There is no cache in the web process: every window is a cold read. Also reported: what the worker
 * spent storing the chart at completion, its size, and the first window of a run stored before the chart store
 * existed (which stores it then, once).
 *
 * Runnable alone:  DATABASE_URL=postgres://… npx tsx bench/chart-window.ts [--runs=N] [--quick]
 */
import { sql } from 'drizzle-orm';
import { createDatabase } from '../db/client';
import { createSimulatedMarket } from '../server/core/market/simulated';
import { registerUser } from '../server/services/auth/users';
import { createBacktest } from '../server/services/backtests/backtests';
import { getBacktestChartWindow } from '../server/services/backtests/chart-window';
import { runBacktestJob } from '../server/services/backtests/run-job';
import { upsertCandles } from '../server/services/market-data/candles';
import { deleteBacktestChart } from '../server/services/backtests/chart-store';
import { createStrategyForUser } from '../server/services/strategies/strategies';
import { startBenchDatabase } from './api';
import { roundSummary, summarize } from './lib/stats';

export const CHART_WINDOW_TARGET_MS = 100;
const FULL_BARS = 525_600;
const QUICK_BARS = 20_160;
const KEY = { exchange: 'simulated', symbol: 'BTC/USDT', timeframe: '1m' } as const;
const ORIGIN_MS = Date.UTC(2024, 0, 1);
const MINUTE = 60_000;

export type ChartWindowBenchResult = Awaited<ReturnType<typeof benchChartWindow>>;

export async function benchChartWindow(runs: number, log: (line: string) => void = console.log, quick = false) {
  const BARS = quick ? QUICK_BARS : FULL_BARS;
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
    const job = await runBacktestJob({
      db: database.db,
      job: { userId } as never,
      payload: { backtestId: id },
      workerId: 'bench',
      signal: new AbortController().signal,
      progress: async () => {},
    });
    const time = async (request: { from?: number; to?: number; maxBars?: number }) => {
      const started = performance.now();
      const cpu = process.cpuUsage();
      const window = await getBacktestChartWindow(database.db, userId, id, request);
      const bytes = JSON.stringify(window).length;
      const used = process.cpuUsage(cpu);
      // cpuMs: this process's CPU time (not PostgreSQL's): what the web app spends, whatever the machine's load
      return {
        ms: performance.now() - started,
        cpuMs: (used.user + used.system) / 1000,
        candles: window.candles.time.length,
        markers: window.markers.length,
        bytes,
      };
    };
    const YEAR = BARS * MINUTE;
    const zooms: Array<{ name: string; span: number; maxBars: number }> = [
      { name: 'whole run, 1,000 candles', span: YEAR, maxBars: 1_000 },
      { name: 'whole run, 5,000 candles', span: YEAR, maxBars: 5_000 },
      { name: 'whole run, 10 candles', span: YEAR, maxBars: 10 },
      { name: 'quarter', span: YEAR / 4, maxBars: 2_000 },
      { name: 'month', span: Math.min(YEAR, 30 * 24 * 60 * MINUTE), maxBars: 2_000 },
      { name: 'week', span: 7 * 24 * 60 * MINUTE, maxBars: 2_000 },
      { name: '4 days at 3m buckets (from bars)', span: 4 * 24 * 60 * MINUTE, maxBars: 2_000 },
      { name: 'day (raw 1m)', span: 24 * 60 * MINUTE, maxBars: 2_000 },
      { name: '3 hours (raw 1m)', span: 3 * 60 * MINUTE, maxBars: 1_000 },
    ];
    const [stored] = await database.db.execute<{ chunks: number; bytes: number }>(
      sql`select count(*)::int as chunks, coalesce(sum(octet_length(data)), 0)::bigint as bytes from backtest_chart_chunks where backtest_id = ${id}`,
    );
    const coldRuns: number[] = [];
    for (let r = 0; r < Math.min(3, runs); r++) coldRuns.push((await time({ maxBars: 1_000 })).ms);
    // A run completed before the chart store: its first window stores it (once).
    await deleteBacktestChart(database.db, id);
    const lazyStoreMs = (await time({ maxBars: 1_000 })).ms;
    const results = [];
    for (const zoom of zooms) {
      const samples: number[] = [];
      const cpuSamples: number[] = [];
      let last = { candles: 0, markers: 0, bytes: 0 };
      await time({ from: ORIGIN_MS, to: ORIGIN_MS + zoom.span, maxBars: zoom.maxBars }); // warm-up (JIT), not counted
      for (let r = 0; r < runs; r++) {
        // a different place in the year on every run, as a pan would ask
        const from = ORIGIN_MS + Math.floor(((YEAR - zoom.span) * r) / Math.max(1, runs - 1) / MINUTE) * MINUTE;
        const result = await time({ from, to: from + zoom.span, maxBars: zoom.maxBars });
        samples.push(result.ms);
        cpuSamples.push(result.cpuMs);
        last = result;
      }
      results.push({
        zoom: zoom.name,
        maxBars: zoom.maxBars,
        candles: last.candles,
        markers: last.markers,
        jsonBytes: last.bytes,
        ms: roundSummary(summarize(samples)),
        cpuMs: roundSummary(summarize(cpuSamples)),
      });
    }
    return {
      bars: BARS,
      strategy: 'sma_crossover 10/30',
      workerChartStoreMs: (job.timings as { chartStoreMs?: number } | undefined)?.chartStoreMs ?? null,
      storedChunks: Number(stored?.chunks ?? 0),
      storedBytes: Number(stored?.bytes ?? 0),
      firstWindowMs: roundSummary(summarize(coldRuns)),
      firstWindowOfUnstoredRunMs: Math.round(lazyStoreMs),
      windows: results,
      targetMs: CHART_WINDOW_TARGET_MS,
    };
  } finally {
    await database.close();
    await bench.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const runs = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice(7) ?? 10);
  benchChartWindow(runs, console.log, process.argv.includes('--quick')).then(
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
