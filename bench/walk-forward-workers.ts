/**
 * Walk-forward across worker PROCESSES (issue #15, docs/robustness.md): "two worker processes with one thread each
 * finish a sharded run at least 1.7× faster than one such worker, in the same bench run". A fresh database with
 * synthetic 1m candles; the same request (an even number of folds, so two workers can split them evenly) run by one
 * child process, then by two (bench/lib/fold-worker.ts: the worker's job runner with the fold handler on one sweep
 * thread), each timed from the request to `completed` as the service reports it. Correctness: both give the same bytes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { createDatabase } from '../db/client';
import { walkForwards } from '../db/schema';
import type { OhlcvRow } from '../server/core/candles';
import { registerUser } from '../server/services/auth/users';
import { upsertCandles } from '../server/services/market-data/candles';
import { createWalkForward, getWalkForwardForUser, type CreateWalkForwardInput } from '../server/services/robustness/walk-forwards';
import { createStrategyForUser } from '../server/services/strategies/strategies';
import { startBenchDatabase } from './api';
import { spawnTsx, type LoggedProcess } from './lib/process';
import { syntheticSeries } from './lib/series';
import type { CheckResult } from './lib/parity';

export const WALK_FORWARD_WORKERS_TARGET = 1.7;
const ROOT = path.resolve(import.meta.dirname, '..');

export interface WalkForwardWorkersResult {
  bars: number;
  folds: number;
  trials: number;
  oneWorkerMs: number;
  twoWorkersMs: number;
  speedup: number;
}

async function startWorkers(count: number, url: string, dir: string): Promise<LoggedProcess[]> {
  const workers = Array.from({ length: count }, (_, k) =>
    spawnTsx('bench/lib/fold-worker.ts', [], { cwd: ROOT, env: { ...process.env, DATABASE_URL: url }, logFile: path.join(dir, `worker-${count}-${k}.log`) }),
  );
  // Ready: each has printed "ready" (its runner listens for queued jobs).
  for (const [k, worker] of workers.entries()) {
    const log = path.join(dir, `worker-${count}-${k}.log`);
    for (;;) {
      if (fs.readFileSync(log, 'utf8').includes('ready')) break;
      if (worker.child.exitCode !== null) throw new Error(`fold worker exited: ${fs.readFileSync(log, 'utf8')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return workers;
}

export async function benchWalkForwardWorkers(options: {
  quick: boolean;
  log: (line: string) => void;
}): Promise<{ result: WalkForwardWorkersResult; checks: CheckResult[] }> {
  const { quick, log } = options;
  const bars = quick ? 40_000 : 400_000;
  const folds = quick ? 2 : 6;
  const trials = quick ? 8 : 200;
  const bench = await startBenchDatabase(log);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cryptobot-wf-workers-'));
  const database = createDatabase(bench.url, { max: 4, applicationName: 'cryptobot-bench-wf' });
  try {
    const series = syntheticSeries(bars, 23);
    const rows: OhlcvRow[] = Array.from({ length: bars }, (_, i) => [
      series.time[i]!,
      series.open[i]!,
      series.high[i]!,
      series.low[i]!,
      series.close[i]!,
      series.volume[i]!,
    ]);
    const market = { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1m' };
    await upsertCandles(database.db, market, rows);
    const userId = (await registerUser(database.db, { username: 'bench-wf', password: 'long enough pw' })).id;
    const strategyId = (
      await createStrategyForUser(database.db, userId, { name: 'wf', type: 'sma_crossover', params: { fastPeriod: 10, slowPeriod: 50 }, ...market })
    ).id;
    const request: CreateWalkForwardInput = {
      strategyId,
      start: series.time[0]!,
      end: series.time[bars - 1]! + 60_000,
      initialCapital: 10_000,
      feeRate: 0.001,
      slippage: 0.0005,
      folds,
      anchored: false,
      space: { fastPeriod: { min: 2, max: 60, step: 1 }, slowPeriod: { min: 20, max: 400, step: 5 } },
      search: { method: 'tpe', trials, seed: 3 },
      objective: 'sharpe',
      drawdownWeight: 1,
      minTrades: 5,
    };
    const run = async (workers: number) => {
      const processes = await startWorkers(workers, bench.url, dir);
      try {
        // Timed on the database's clock, from just before the request to the row's finishedAt (set in the transaction
        // that completes it), so the time does not depend on how often this process looks. It looks 10 times a second,
        // at the status column alone: reading 40 times a second took CPU from the workers, on a machine where two
        // workers already want both cores.
        const [clock] = await database.sql<Array<{ startedMs: string }>>`select extract(epoch from clock_timestamp()) * 1000 as "startedMs"`;
        const { id } = await createWalkForward(database.db, userId, request);
        for (;;) {
          const [row] = await database.db
            .select({ status: walkForwards.status, finishedAt: walkForwards.finishedAt })
            .from(walkForwards)
            .where(eq(walkForwards.id, id));
          if (row?.status === 'completed') {
            const ms = row.finishedAt!.getTime() - Number(clock!.startedMs);
            const view = await getWalkForwardForUser(database.db, userId, id);
            return { ms, bytes: JSON.stringify({ folds: view.folds, metrics: view.outOfSampleMetrics, equity: view.equity }) };
          }
          if (row?.status !== 'queued' && row?.status !== 'running') {
            const view = await getWalkForwardForUser(database.db, userId, id);
            throw new Error(`walk-forward ${view.status}: ${view.error}`);
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      } finally {
        await Promise.all(processes.map((p) => p.stop()));
      }
    };
    const one = await run(1);
    const two = await run(2);
    const result = { bars, folds, trials, oneWorkerMs: Math.round(one.ms), twoWorkersMs: Math.round(two.ms), speedup: one.ms / two.ms };
    log(
      `  walk-forward ${folds} folds × ${trials} TPE trials over ${bars.toLocaleString('en')} 1m bars: one worker process ${result.oneWorkerMs} ms, two ${result.twoWorkersMs} ms: ${result.speedup.toFixed(2)}× (target ≥ ${WALK_FORWARD_WORKERS_TARGET}×)`,
    );
    return {
      result,
      checks: [{ name: 'walk-forward: one worker process and two give the same bytes', ok: one.bytes === two.bytes, detail: `${one.bytes.length} bytes` }],
    };
  } finally {
    await database.close();
    await bench.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
