/**
 * A backtest of one year of 1-minute candles (525,600 bars) requested through the REST API, as a user waits for
 * it: from `POST /api/v1/backtests` to the moment `GET /api/v1/backtests/{id}` answers `completed` with the
 * metrics and trades stored — with the real production web app and a real worker process, both started exactly as
 * `npm run web` / `npm run worker` do (the web app from the production build in .next-bench/, see bench/api.ts),
 * on a fresh bench database. Nothing is in-process: the request crosses HTTP, Next.js, PostgreSQL (the job row and
 * its NOTIFY), the worker's LISTEN, its binary COPY read of the candles, the engine, and the storing of the
 * results, and the answer is polled over HTTP every POLL_MS.
 *
 * Where the time goes comes from the same runs: the POST and the last GET timed here, the database's own
 * timestamps (job row written → claimed by the worker), and the job's result, where the worker's handler records
 * how long it spent reading candles, running the engine, downsampling the chart and storing the results
 * (server/services/backtests/run-job.ts `timings`).
 *
 * The candles come from the seeded simulated market (server/core/market/simulated.ts), stored with the ingestion
 * path (upsertCandles) under exchange "simulated". Correctness: the stored metrics must equal runBacktest's on the
 * same candles read back from the database, and the stored trades must number metrics.tradeCount.
 *
 * Runnable alone:  DATABASE_URL=postgres://… npx tsx bench/rest-backtest.ts [--quick] [--runs=N]
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { createDatabase } from '../db/client';
import { runBacktest } from '../server/core/backtest/engine';
import type { BacktestMetrics } from '../server/core/backtest/types';
import { createSimulatedMarket } from '../server/core/market/simulated';
import { createStrategy } from '../server/core/strategies/registry';
import { readCandleSeries, upsertCandles } from '../server/services/market-data/candles';
import { ensureBuild, makeLogDir, registerAndToken, startApp, startBenchDatabase, type BenchDatabase } from './api';
import { spawnTsx } from './lib/process';
import type { CheckResult } from './lib/parity';
import { roundSummary, summarize, type Summary } from './lib/stats';
import { settle } from './lib/timing';

const ROOT = path.resolve(import.meta.dirname, '..');
/** The target: under 1.5 s on this 2-core machine. */
export const REST_BACKTEST_TARGET_MS = 1500;
/** One year of 1-minute bars. */
export const YEAR_OF_MINUTES = 525_600;
const POLL_MS = 10;
const KEY = { exchange: 'simulated', symbol: 'BTC/USDT', timeframe: '1m' } as const;
const ORIGIN_MS = Date.UTC(2024, 0, 1);
const STRATEGY = { type: 'sma_crossover', params: { fastPeriod: 10, slowPeriod: 30 } } as const;
const CONFIG = { initialCapital: 10_000, feeRate: 0.001, slippage: 0.0005 } as const;

export interface RestBacktestBenchResult {
  candles: number;
  strategy: string;
  params: Record<string, unknown>;
  /** POST → GET answers completed (trades included), polled every `pollMs` */
  endToEndMs: Summary;
  pollMs: number;
  /** the POST alone (validation, the row, the job and its NOTIFY) */
  postMs: Summary;
  /** the GET that saw `completed` (metrics and every trade, as JSON) */
  lastGetMs: Summary;
  /** database clock: the job row written (the POST's transaction) → claimed by the worker */
  queuedToClaimedMs: Summary;
  /** the worker handler's own timings (run-job.ts), ms */
  worker: { readMs: Summary; engineMs: Summary; chartMs: Summary; storeMs: Summary; totalMs: Summary };
  trades: number;
  setup: { seedMs: number; buildReused: boolean; appStartupMs: number; workerStartupMs: number };
}

interface JobTimings {
  readMs: number;
  engineMs: number;
  chartMs: number;
  storeMs: number;
  totalMs: number;
}

/** 525,600 one-minute candles of the seeded simulated market (the same on every machine), stored as ingestion stores them. */
async function seedCandles(databaseUrl: string, candles: number): Promise<number> {
  const database = createDatabase(databaseUrl, { max: 2, applicationName: 'cryptobot-bench-seed' });
  try {
    const started = performance.now();
    const rows = createSimulatedMarket({ seed: 2024, timeframe: KEY.timeframe, originMs: ORIGIN_MS }).candles(ORIGIN_MS, ORIGIN_MS + candles * 60_000);
    if (rows.length !== candles) throw new Error(`the simulated market gave ${rows.length} candles, expected ${candles}`);
    await upsertCandles(database.db, KEY, rows);
    return Math.round(performance.now() - started);
  } finally {
    await database.close();
  }
}

/** `npm run worker` (node --import tsx server/worker/main.ts) against the database; resolves once its loops run. */
export async function startWorker(databaseUrl: string, logDir: string, log: (line: string) => void): Promise<{ startupMs: number; stop(): Promise<void> }> {
  const logFile = path.join(logDir, 'worker.log');
  log(`  starting a worker process (log: ${logFile})`);
  const started = performance.now();
  const { child, stop } = spawnTsx(path.join(ROOT, 'server/worker/main.ts'), [], {
    cwd: ROOT,
    logFile,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      CRYPTOBOT_SERVICE: 'worker',
      CRYPTOBOT_MASTER_KEY: randomBytes(32).toString('base64'),
      WORKER_ID: `bench-${process.pid}`,
    },
  });
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the worker exited (code ${child.exitCode}); see ${logFile}`);
    if (fs.readFileSync(logFile, 'utf8').includes('"worker started"')) return { startupMs: Math.round(performance.now() - started), stop };
    await settle(100);
  }
  await stop();
  throw new Error(`the worker did not start within 120 s; see ${logFile}`);
}

export async function api<T>(baseUrl: string, token: string, method: string, route: string, body?: unknown): Promise<T> {
  const response = await fetch(`${baseUrl}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await response.json()) as T;
  if (!response.ok) throw new Error(`${method} ${route}: HTTP ${response.status} ${JSON.stringify(json).slice(0, 300)}`);
  return json;
}

interface BacktestAnswer {
  id: string;
  status: string;
  error: string | null;
  metrics: BacktestMetrics | null;
  trades: unknown[];
}

/** One backtest as a user runs it: POST, then GET every POLL_MS until it is finished. */
async function requestBacktest(
  baseUrl: string,
  token: string,
  strategyId: string,
  candles: number,
): Promise<{ ms: number; postMs: number; lastGetMs: number; answer: BacktestAnswer }> {
  const body = { strategyId, start: ORIGIN_MS, end: ORIGIN_MS + candles * 60_000, ...CONFIG };
  const started = performance.now();
  const queued = await api<BacktestAnswer>(baseUrl, token, 'POST', '/api/v1/backtests', body);
  const postMs = performance.now() - started;
  for (;;) {
    const getStarted = performance.now();
    const answer = await api<BacktestAnswer>(baseUrl, token, 'GET', `/api/v1/backtests/${queued.id}`);
    if (answer.status === 'completed' || answer.status === 'failed' || answer.status === 'canceled') {
      const now = performance.now();
      if (answer.status !== 'completed') throw new Error(`the backtest ended ${answer.status}: ${answer.error}`);
      return { ms: now - started, postMs, lastGetMs: now - getStarted, answer };
    }
    await settle(POLL_MS);
  }
}

export async function benchRestBacktest(options: {
  /** a fresh migrated database (bench/api.ts startBenchDatabase); the candles are added to it */
  database: BenchDatabase;
  runs: number;
  /** fewer candles (one month) for a smoke run */
  quick?: boolean;
  /** reuse .next-bench/ when it holds a build (bench/api.ts ensureBuild) */
  reuseBuild?: boolean;
  log: (line: string) => void;
}): Promise<{ result: RestBacktestBenchResult; checks: CheckResult[] }> {
  const { database, runs, log } = options;
  const candles = options.quick ? 43_200 : YEAR_OF_MINUTES;
  const logDir = makeLogDir();
  const seedMs = await seedCandles(database.url, candles);
  log(`  stored ${candles.toLocaleString('en')} simulated 1m candles in ${seedMs} ms`);
  const build = await ensureBuild(options.reuseBuild ?? true, logDir, log);
  const app = await startApp(database.url, logDir, log);
  let worker: Awaited<ReturnType<typeof startWorker>> | undefined;
  const db = createDatabase(database.url, { max: 2, applicationName: 'cryptobot-bench' });
  try {
    worker = await startWorker(database.url, logDir, log);
    const token = await registerAndToken(app.baseUrl);
    const strategy = await api<{ id: string }>(app.baseUrl, token, 'POST', '/api/v1/strategies', {
      name: 'bench year of minutes',
      type: STRATEGY.type,
      params: STRATEGY.params,
      ...KEY,
    });

    // Warm-up: the first request compiles the route and warms both processes.
    const warm = await requestBacktest(app.baseUrl, token, strategy.id, candles);
    log(`  warm-up: ${warm.ms.toFixed(0)} ms`);
    const endToEnd: number[] = [];
    const posts: number[] = [];
    const lastGets: number[] = [];
    const ids: string[] = [];
    let last = warm.answer;
    for (let round = 0; round < runs; round++) {
      await settle(200);
      const { ms, postMs, lastGetMs, answer } = await requestBacktest(app.baseUrl, token, strategy.id, candles);
      endToEnd.push(ms);
      posts.push(postMs);
      lastGets.push(lastGetMs);
      ids.push(answer.id);
      last = answer;
      log(
        `  rest backtest: round ${round + 1}/${runs}: ${ms.toFixed(0)} ms (POST → GET completed, ${candles.toLocaleString('en')} bars, ${answer.trades.length.toLocaleString('en')} trades)`,
      );
    }

    // The database's timestamps and the worker's own timings of the measured runs.
    const rows = await db.sql<Array<{ queued_ms: number; result: { timings?: JobTimings } | null }>>`
      select extract(epoch from (j.started_at - j.created_at)) * 1000 as queued_ms, j.result
      from backtests b join jobs j on j.id = b.job_id
      where b.id in ${db.sql(ids)}`;
    const timings = rows.map((r) => r.result?.timings).filter((t): t is JobTimings => t !== undefined);
    const pick = (key: keyof JobTimings) => roundSummary(summarize(timings.map((t) => t[key])), 3);

    // Correctness: what the API stored = the engine on the same candles.
    const series = await readCandleSeries(db.db, KEY, ORIGIN_MS, ORIGIN_MS + candles * 60_000);
    const expected = runBacktest(series, createStrategy(STRATEGY.type, STRATEGY.params), { ...CONFIG, timeframe: KEY.timeframe });
    const checks: CheckResult[] = [
      {
        name: `REST backtest stored = engine on the same candles (${candles.toLocaleString('en')} 1m bars)`,
        ok: isDeepStrictEqual(last.metrics, expected.metrics) && last.trades.length === expected.metrics.tradeCount && series.length === candles,
        detail:
          isDeepStrictEqual(last.metrics, expected.metrics) && last.trades.length === expected.metrics.tradeCount
            ? `metrics identical, ${last.trades.length.toLocaleString('en')} trades stored`
            : `stored ${JSON.stringify(last.metrics)} with ${last.trades.length} trades; engine ${JSON.stringify(expected.metrics)}`,
      },
    ];
    return {
      result: {
        candles,
        strategy: STRATEGY.type,
        params: { ...STRATEGY.params },
        endToEndMs: roundSummary(summarize(endToEnd)),
        pollMs: POLL_MS,
        postMs: roundSummary(summarize(posts), 3),
        lastGetMs: roundSummary(summarize(lastGets), 3),
        queuedToClaimedMs: roundSummary(summarize(rows.map((r) => Number(r.queued_ms))), 3),
        worker: { readMs: pick('readMs'), engineMs: pick('engineMs'), chartMs: pick('chartMs'), storeMs: pick('storeMs'), totalMs: pick('totalMs') },
        trades: last.trades.length,
        setup: { seedMs, buildReused: !build.built, appStartupMs: app.startupMs, workerStartupMs: worker.startupMs },
      },
      checks,
    };
  } finally {
    await db.close();
    await worker?.stop();
    await app.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.argv.includes('--quick');
  const runs = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice('--runs='.length) ?? (quick ? 3 : 5));
  const log = (line: string) => console.log(line);
  const database = await startBenchDatabase(log);
  try {
    const { result, checks } = await benchRestBacktest({ database, runs, quick, log });
    console.log(JSON.stringify(result, null, 2));
    for (const c of checks) console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
    process.exitCode = checks.every((c) => c.ok) ? 0 : 1;
  } finally {
    await database.close();
  }
}
