/**
 * A pair-list backtest through the REST API (issue #16): one strategy over 20 pairs × one year of 5m candles
 * (2,102,400 candle-steps) with shared capital, from `POST /api/v1/backtests` to `GET /api/v1/backtests/{id}`
 * answering `completed` with its metrics, per-pair breakdown and every trade stored — with the production web app and
 * a real worker process, as bench/rest-backtest.ts runs the single-pair one. Target: under 3 s.
 *
 * The candles: 20 seeded simulated markets (server/core/market/simulated.ts), stored with the ingestion path under
 * exchange "simulated". Correctness: the stored metrics and breakdown equal runPortfolioBacktest's on the same
 * candles read back from the database, and the stored trades number metrics.tradeCount.
 *
 * Runnable alone:  DATABASE_URL=postgres://… npx tsx bench/rest-portfolio.ts [--quick] [--runs=N]
 * (it reuses a production build in .next-bench/ when there is one, like `npm run bench -- --quick`)
 */
import { isDeepStrictEqual } from 'node:util';
import { createDatabase } from '../db/client';
import { runPortfolioBacktest } from '../server/core/backtest/portfolio';
import { createSimulatedMarket } from '../server/core/market/simulated';
import { createStrategy } from '../server/core/strategies/registry';
import { readCandleSeries, upsertCandles } from '../server/services/market-data/candles';
import { ensureBuild, makeLogDir, registerAndToken, startApp, startBenchDatabase, type BenchDatabase } from './api';
import type { CheckResult } from './lib/parity';
import { roundSummary, summarize, type Summary } from './lib/stats';
import { settle } from './lib/timing';
import { api, startWorker } from './rest-backtest';

export const REST_PORTFOLIO_TARGET_MS = 3000;
const POLL_MS = 10;
const FIVE_MINUTES = 300_000;
const ORIGIN_MS = Date.UTC(2024, 0, 1);
const EXCHANGE = 'simulated';
const STRATEGY = { type: 'sma_crossover', params: { fastPeriod: 10, slowPeriod: 30 } } as const;
const CAPITAL = { maxOpenPositions: 5, stake: { type: 'equal_split' }, priority: 'list' } as const;
const CONFIG = { initialCapital: 10_000, feeRate: 0.001, slippage: 0.0005 } as const;

export interface RestPortfolioBenchResult {
  pairs: number;
  barsPerPair: number;
  candles: number;
  /** POST → GET answers completed (breakdown and trades included), polled every POLL_MS */
  endToEndMs: Summary;
  /** the worker handler's own timings (run-job.ts), ms */
  worker: { readMs: Summary; engineMs: Summary; storeMs: Summary; totalMs: Summary };
  trades: number;
  setup: { seedMs: number; buildReused: boolean };
}

interface Answer {
  id: string;
  status: string;
  error: string | null;
  metrics: Record<string, unknown> | null;
  pairs: Array<Record<string, unknown>> | null;
  trades: unknown[];
}

const symbolOf = (p: number) => `PF${p}/USDT`;

async function seed(databaseUrl: string, pairs: number, bars: number): Promise<number> {
  const database = createDatabase(databaseUrl, { max: 2, applicationName: 'cryptobot-bench-seed' });
  try {
    const started = performance.now();
    for (let p = 0; p < pairs; p++) {
      const rows = createSimulatedMarket({ seed: 7_000 + p, timeframe: '5m', originMs: ORIGIN_MS, startPrice: 100 + 50 * p }).candles(
        ORIGIN_MS,
        ORIGIN_MS + bars * FIVE_MINUTES,
      );
      await upsertCandles(database.db, { exchange: EXCHANGE, symbol: symbolOf(p), timeframe: '5m' }, rows);
    }
    return Math.round(performance.now() - started);
  } finally {
    await database.close();
  }
}

export async function benchRestPortfolio(options: {
  database: BenchDatabase;
  runs: number;
  quick?: boolean;
  reuseBuild?: boolean;
  log: (line: string) => void;
}): Promise<{ result: RestPortfolioBenchResult; checks: CheckResult[] }> {
  const { database, runs, log } = options;
  const pairs = 20;
  const bars = options.quick ? 8_640 : 105_120;
  const end = ORIGIN_MS + bars * FIVE_MINUTES;
  const logDir = makeLogDir();
  const seedMs = await seed(database.url, pairs, bars);
  log(`  stored ${pairs} × ${bars.toLocaleString('en')} simulated 5m candles in ${seedMs} ms`);
  const build = await ensureBuild(options.reuseBuild ?? true, logDir, log);
  const app = await startApp(database.url, logDir, log);
  let worker: Awaited<ReturnType<typeof startWorker>> | undefined;
  const db = createDatabase(database.url, { max: 2, applicationName: 'cryptobot-bench' });
  try {
    worker = await startWorker(database.url, logDir, log);
    const token = await registerAndToken(app.baseUrl);
    const symbols = Array.from({ length: pairs }, (_, p) => symbolOf(p));
    const strategy = await api<{ id: string }>(app.baseUrl, token, 'POST', '/api/v1/strategies', {
      name: 'bench pair list',
      type: STRATEGY.type,
      params: STRATEGY.params,
      exchange: EXCHANGE,
      symbols,
      capital: CAPITAL,
      timeframe: '5m',
    });
    const request = async (): Promise<{ ms: number; answer: Answer }> => {
      const started = performance.now();
      const queued = await api<Answer>(app.baseUrl, token, 'POST', '/api/v1/backtests', { strategyId: strategy.id, start: ORIGIN_MS, end, ...CONFIG });
      for (;;) {
        const answer = await api<Answer>(app.baseUrl, token, 'GET', `/api/v1/backtests/${queued.id}`);
        if (answer.status === 'completed') return { ms: performance.now() - started, answer };
        if (answer.status === 'failed' || answer.status === 'canceled') throw new Error(`the backtest ended ${answer.status}: ${answer.error}`);
        await settle(POLL_MS);
      }
    };
    const warm = await request();
    log(`  warm-up: ${warm.ms.toFixed(0)} ms`);
    const endToEnd: number[] = [];
    const ids: string[] = [];
    let last = warm.answer;
    for (let round = 0; round < runs; round++) {
      await settle(200);
      const { ms, answer } = await request();
      endToEnd.push(ms);
      ids.push(answer.id);
      last = answer;
      log(`  rest pair-list backtest: round ${round + 1}/${runs}: ${ms.toFixed(0)} ms (${answer.trades.length.toLocaleString('en')} trades)`);
    }
    const rows = await db.sql<Array<{ result: { timings?: Record<string, number> } | null }>>`
      select j.result from backtests b join jobs j on j.id = b.job_id where b.id in ${db.sql(ids)}`;
    const timings = rows.map((r) => r.result?.timings).filter((t): t is Record<string, number> => t !== undefined);
    const pick = (key: string) => roundSummary(summarize(timings.map((t) => t[key]!)), 3);

    const series = await Promise.all(symbols.map((symbol) => readCandleSeries(db.db, { exchange: EXCHANGE, symbol, timeframe: '5m' }, ORIGIN_MS, end)));
    const expected = runPortfolioBacktest(
      symbols.map((symbol, p) => ({ symbol, series: series[p]!, strategy: createStrategy(STRATEGY.type, STRATEGY.params) })),
      { ...CONFIG, timeframe: '5m', ...CAPITAL },
    );
    const breakdown = expected.pairs.map(({ equity: _equity, ...pair }) => pair);
    const same =
      isDeepStrictEqual(last.metrics, expected.metrics) && isDeepStrictEqual(last.pairs, breakdown) && last.trades.length === expected.metrics.tradeCount;
    return {
      result: {
        pairs,
        barsPerPair: bars,
        candles: pairs * bars,
        endToEndMs: roundSummary(summarize(endToEnd)),
        worker: { readMs: pick('readMs'), engineMs: pick('engineMs'), storeMs: pick('storeMs'), totalMs: pick('totalMs') },
        trades: last.trades.length,
        setup: { seedMs, buildReused: !build.built },
      },
      checks: [
        {
          name: `REST pair-list backtest stored = portfolio engine on the same candles (${pairs} × ${bars.toLocaleString('en')} 5m bars)`,
          ok: same,
          detail: same
            ? `metrics and breakdown identical, ${last.trades.length.toLocaleString('en')} trades stored`
            : `stored ${JSON.stringify(last.metrics)}; engine ${JSON.stringify(expected.metrics)}`,
        },
      ],
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
    const { result, checks } = await benchRestPortfolio({ database, runs, quick, log });
    console.log(JSON.stringify(result, null, 2));
    for (const c of checks) console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
    console.log(`end to end median ${result.endToEndMs.median} ms (target < ${REST_PORTFOLIO_TARGET_MS} ms)`);
    process.exitCode = checks.every((c) => c.ok) ? 0 : 1;
  } finally {
    await database.close();
  }
}
