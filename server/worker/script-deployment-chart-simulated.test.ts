/**
 * A script deployment on the simulated feed: its market's prices depend on the strategy's warm-up (the generator's
 * origin lies two warm-ups before the feed's start), which the web app takes from the warm-up the script declares
 * instead of running the script. Its chart must show the very bars the worker's sandboxed strategy decided on, before
 * the worker has computed the plots, and the script's own plot values over them afterwards.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployments } from '@/db/schema';
import { logger } from '@/server/logger';
import { registerUser } from '@/server/services/auth/users';
import { disposeRuntime, tickDeployment, type DeploymentRuntime } from '@/server/services/deployments';
import { claimedScriptSmaDeployment } from '@/server/testing/deployments/script-sma';
import { getDeploymentChartWindow } from '@/server/services/deployments/chart-window';
import { DEPLOYMENT_PLOTS_JOB_TYPE } from '@/server/services/jobs/contract';
import { deploymentPlotsHandler } from '@/server/services/scripts/deployment-plots';
import { runScriptBacktest } from '@/server/services/scripts/run';
import { runnableScript } from '@/server/services/scripts/scripts';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { createJobRunner } from './job-runner';

const PARAMS = { fastPeriod: 5, slowPeriod: 60 };
const HOUR = 3_600_000;
const START = Date.UTC(2025, 0, 1);

let t: TestDatabase;
let userId: string;
let type: string;
let deploymentId: string;
let rt: DeploymentRuntime;
let now = Date.UTC(2026, 0, 1);
const clock = () => now;

async function lastBarTime(): Promise<number | null> {
  const [row] = await t.db.select({ last: deployments.lastBarTime }).from(deployments).where(eq(deployments.id, deploymentId));
  return row?.last ?? null;
}

beforeAll(async () => {
  t = await createTestDatabase();
  userId = (await registerUser(t.db, { username: 'script-sim-chart', password: 'correct horse battery' })).id;
  // The worker's runtime: the script itself, in its sandbox.
  ({ type, deploymentId, rt } = await claimedScriptSmaDeployment(t.db, {
    userId,
    params: PARAMS,
    feed: { type: 'simulated', start: START, speed: HOUR },
    clock,
    workerId: 'script-sim-chart-worker',
  }));
  // At HOUR feed-ms per wall-ms, 10 ms of clock is 10 bars: tick until 150 bars past the start are decided.
  for (let i = 0; i < 100 && ((await lastBarTime()) ?? 0) < START + 150 * HOUR; i++) {
    now += 10;
    await tickDeployment(t.db, rt, { now: clock });
  }
  expect(await lastBarTime()).toBeGreaterThanOrEqual(START + 150 * HOUR);
}, 120_000);

afterAll(async () => {
  if (rt) disposeRuntime(rt);
  await t?.destroy();
});

describe("a simulated-feed script deployment's chart", () => {
  it("shows the bars the worker's sandboxed strategy decided on before any plots are computed, then the script's plots over them", async () => {
    const last = (await lastBarTime())!;
    const before = await getDeploymentChartWindow(t.db, userId, deploymentId, { maxBars: 5_000 }, { scriptPlotsWaitMs: 0 });
    expect(before.plotsPending, 'no worker has computed the plots yet').toBe(true);
    expect(before.candles.time.length, 'the bars are there meanwhile').toBeGreaterThan(150);
    expect(before.candles.time.at(-1), 'up to the last decided bar').toBe(last);
    // Every bar the chart shows is the worker's bar at that time, price for price.
    const worker = rt.bars.series;
    const index = new Map(Array.from({ length: worker.length }, (_, i) => [worker.time[i]!, i]));
    let compared = 0;
    for (const [k, time] of before.candles.time.entries()) {
      const i = index.get(time);
      if (i === undefined) continue;
      compared++;
      expect([before.candles.open[k], before.candles.high[k], before.candles.low[k], before.candles.close[k]], `bar ${new Date(time).toISOString()}`).toEqual([
        worker.open[i],
        worker.high[i],
        worker.low[i],
        worker.close[i],
      ]);
    }
    expect(compared, 'the decided bars are all among the worker’s').toBeGreaterThanOrEqual(150);

    const controller = new AbortController();
    const runner = createJobRunner({ [DEPLOYMENT_PLOTS_JOB_TYPE]: deploymentPlotsHandler }, { pollMs: 50, leaseMs: 30_000 });
    const stop = await runner.start({ database: t, workerId: 'plots-worker', logger, signal: controller.signal });
    let after: Awaited<ReturnType<typeof getDeploymentChartWindow>>;
    try {
      after = await getDeploymentChartWindow(t.db, userId, deploymentId, { maxBars: 5_000 }, { scriptPlotsWaitMs: 60_000 });
    } finally {
      controller.abort();
      await stop();
    }
    expect(after.plotsPending, 'the request waited for the worker').toBeUndefined();
    expect(after.candles.time).toEqual(before.candles.time);
    const script = await runnableScript(t.db, userId, type);
    const series = {
      length: after.candles.time.length,
      time: Float64Array.from(after.candles.time),
      open: Float64Array.from(after.candles.open),
      high: Float64Array.from(after.candles.high),
      low: Float64Array.from(after.candles.low),
      close: Float64Array.from(after.candles.close),
      volume: Float64Array.from(after.candles.volume),
    };
    const run = await runScriptBacktest(
      type,
      script.compiled,
      series,
      PARAMS,
      { initialCapital: 10_000, feeRate: 0.001, slippage: 0, timeframe: '1h' },
      undefined,
      script.meta,
      { plots: true },
    );
    const nullable = (column: Float64Array) => Array.from(column, (v) => (Number.isFinite(v) ? v : null));
    expect(after.plots.map((p) => p.name)).toEqual(['fast_ma', 'slow_ma']);
    expect(after.plots[1]!.values, "the script's slow SMA over the chart's bars").toEqual(nullable(run.plots!.slow_ma!));
    expect(after.plots[1]!.values.filter((v) => v !== null).length).toBeGreaterThan(90);
  }, 120_000);
});
