import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployments, jobs } from '@/db/schema';
import { seriesFromRows, type OhlcvRow } from '@/server/core/candles';
import { logger } from '@/server/logger';
import { registerUser } from '@/server/services/auth/users';
import { disposeRuntime, tickDeployment, type DeploymentRuntime } from '@/server/services/deployments';
import { claimedScriptSmaDeployment } from '@/server/testing/deployments/script-sma';
import { getDeploymentChartWindow } from '@/server/services/deployments/chart-window';
import { DEPLOYMENT_PLOTS_JOB_TYPE } from '@/server/services/jobs/contract';
import { upsertCandles } from '@/server/services/market-data/candles';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { fixtureRows } from '@/server/testing/fixtures';
import { createJobRunner } from './job-runner';
import { deploymentPlotsHandler } from '@/server/services/scripts/deployment-plots';
import { runScriptBacktest } from '@/server/services/scripts/run';
import { runnableScript } from '@/server/services/scripts/scripts';

const rows: OhlcvRow[] = fixtureRows('btc-usd-1h').slice(0, 400);
const PARAMS = { fastPeriod: 5, slowPeriod: 20 };

let t: TestDatabase;
let userId: string;
let type: string;
let deploymentId: string;
let rt: DeploymentRuntime;
let now = Date.UTC(2026, 0, 1);
const clock = () => now;

/** Ticks the replay until it has processed the bar of rows[index]. */
async function processUpTo(index: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const [current] = await t.db.select({ last: deployments.lastBarTime }).from(deployments).where(eq(deployments.id, deploymentId));
    if ((current?.last ?? 0) >= rows[index]![0]) return;
    now += 10;
    await tickDeployment(t.db, rt, { now: clock });
  }
  throw new Error('the replay did not get there');
}

async function processedRows(): Promise<OhlcvRow[]> {
  const [row] = await t.db.select({ last: deployments.lastBarTime }).from(deployments).where(eq(deployments.id, deploymentId));
  return rows.filter((r) => r[0] <= row!.last!);
}

/** The script backtest's plot values over `processed` (the same call a backtest of the script stores its chart with). */
async function backtestPlots(processed: OhlcvRow[]): Promise<Record<string, Float64Array>> {
  const script = await runnableScript(t.db, userId, type);
  const run = await runScriptBacktest(
    type,
    script.compiled,
    seriesFromRows(processed),
    PARAMS,
    { initialCapital: 10_000, feeRate: 0.001, slippage: 0, timeframe: '1h' },
    undefined,
    script.meta,
    {
      plots: true,
    },
  );
  return run.plots!;
}

const nullable = (column: Float64Array) => Array.from(column, (v) => (Number.isFinite(v) ? v : null));

/** Runs the worker's job runner (the deployment.plots handler only) around `work`. */
async function withWorker<T>(work: () => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const runner = createJobRunner({ [DEPLOYMENT_PLOTS_JOB_TYPE]: deploymentPlotsHandler }, { pollMs: 50, leaseMs: 30_000 });
  const stop = await runner.start({ database: t, workerId: 'plots-worker', logger, signal: controller.signal });
  try {
    return await work();
  } finally {
    controller.abort();
    await stop();
  }
}

beforeAll(async () => {
  t = await createTestDatabase();
  userId = (await registerUser(t.db, { username: 'script-chart', password: 'correct horse battery' })).id;
  await upsertCandles(t.db, { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' }, rows);
  ({ type, deploymentId, rt } = await claimedScriptSmaDeployment(t.db, {
    userId,
    params: PARAMS,
    feed: { type: 'replay', start: rows[0]![0], speed: 3_600_000 },
    clock,
    workerId: 'script-chart-worker',
  }));
  await processUpTo(199);
}, 120_000);

afterAll(async () => {
  if (rt) disposeRuntime(rt);
  await t?.destroy();
});

describe("a script deployment's chart: its declared plots, computed by the worker", () => {
  it('a burst of chart requests for a deployment without current plots queues one job, not one per request', async () => {
    const windows = await Promise.all(
      Array.from({ length: 12 }, () => getDeploymentChartWindow(t.db, userId, deploymentId, { maxBars: 5_000 }, { scriptPlotsWaitMs: 0 })),
    );
    expect(windows.every((w) => w.plotsPending)).toBe(true);
    const queued = await t.db
      .select({ id: jobs.id })
      .from(jobs)
      .where(and(eq(jobs.type, DEPLOYMENT_PLOTS_JOB_TYPE), eq(jobs.userId, userId), eq(jobs.status, 'queued')));
    expect(queued.length).toBe(1);
  });

  it("the web app asks the worker, and the values equal the script backtest's at the same bars; later bars ask again", async () => {
    const processed = await processedRows();
    const before = await getDeploymentChartWindow(t.db, userId, deploymentId, { maxBars: 5_000 }, { scriptPlotsWaitMs: 0 });
    expect(before.plotsPending, 'no worker has computed them yet').toBe(true);
    expect(before.candles.time, 'the bars are there meanwhile').toEqual(processed.map((r) => r[0]));
    expect(before.plots.map((p) => [p.name, p.values.length])).toEqual([
      ['fast_ma', 0],
      ['slow_ma', 0],
    ]);

    const window = await withWorker(() => getDeploymentChartWindow(t.db, userId, deploymentId, { maxBars: 5_000 }, { scriptPlotsWaitMs: 60_000 }));
    expect(window.plotsPending, 'the request waited for the worker').toBeUndefined();
    const expected = await backtestPlots(processed);
    expect(window.plots.map((p) => p.name)).toEqual(['fast_ma', 'slow_ma']);
    expect(window.plots[0]!.values, "the script backtest's fast SMA at the same bars").toEqual(nullable(expected.fast_ma!));
    expect(window.plots[1]!.values, "the script backtest's slow SMA at the same bars").toEqual(nullable(expected.slow_ma!));
    expect(window.plots[1]!.values.filter((v) => v !== null).length).toBeGreaterThan(150);

    // More bars processed: the stored values still serve the bars they cover, and newer ones are asked for.
    await processUpTo(299);
    const later = await processedRows();
    const stale = await getDeploymentChartWindow(t.db, userId, deploymentId, { maxBars: 5_000 }, { scriptPlotsWaitMs: 0 });
    expect(stale.plotsPending).toBe(true);
    expect(stale.candles.time).toEqual(later.map((r) => r[0]));
    expect(stale.plots[1]!.values.slice(0, processed.length)).toEqual(nullable(expected.slow_ma!));
    expect(
      stale.plots[1]!.values.slice(processed.length).every((v) => v === null),
      'nothing computed after them yet',
    ).toBe(true);

    const fresh = await withWorker(() => getDeploymentChartWindow(t.db, userId, deploymentId, { maxBars: 5_000 }, { scriptPlotsWaitMs: 60_000 }));
    expect(fresh.plotsPending).toBeUndefined();
    expect(fresh.plots[1]!.values).toEqual(nullable((await backtestPlots(later)).slow_ma!));
    const zoomed = await getDeploymentChartWindow(t.db, userId, deploymentId, { maxBars: 20 }, { scriptPlotsWaitMs: 0 });
    expect(zoomed.aggregated && zoomed.plotsPending === undefined, 'a zoomed-out window reads the same values').toBe(true);
    const stored = await t.db
      .select({ id: jobs.id })
      .from(jobs)
      .where(and(eq(jobs.type, DEPLOYMENT_PLOTS_JOB_TYPE), eq(jobs.userId, userId)));
    expect(stored.length, 'a deployment keeps only its latest computed plots').toBe(1);
  }, 120_000);
});
