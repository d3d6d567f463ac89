import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployments, fills, orders } from '@/db/schema';
import { seriesFromRows, type OhlcvRow } from '@/server/core/candles';
import { getStrategyDefinition, parseParams } from '@/server/core/strategies';
import { createAccount } from '@/server/services/accounts';
import { registerUser } from '@/server/services/auth/users';
import { upsertCandles } from '@/server/services/market-data/candles';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { fixtureRows } from '@/server/testing/fixtures';
import { getDeploymentChartWindow } from './chart-window';
import { createDeployment } from './deployments';
import { claimDeployments } from './leases';
import { loadRuntime, tickDeployment } from '.';
import { createDeployableStrategy } from '@/server/testing/strategies/deployable';

const HOUR = 3_600_000;
const rows: OhlcvRow[] = fixtureRows('btc-usd-1h').slice(0, 400);
const PARAMS = { fastPeriod: 5, slowPeriod: 20 };

let t: TestDatabase;
let userId: string;
let otherId: string;
let deploymentId: string;
let now = Date.UTC(2026, 0, 1);
const clock = () => now;

beforeAll(async () => {
  t = await createTestDatabase();
  userId = (await registerUser(t.db, { username: 'chart-trader', password: 'correct horse battery' })).id;
  otherId = (await registerUser(t.db, { username: 'chart-other', password: 'correct horse battery' })).id;
  await upsertCandles(t.db, { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' }, rows);
  const accountId = (await createAccount(t.db, userId, { name: 'paper', exchange: 'paper', balances: { USDT: '10000' }, feeRate: '0.001', slippage: '0.0005' }))
    .id;
  const strategy = await createDeployableStrategy(t.db, userId, {
    name: 'sma',
    type: 'sma_crossover',
    params: PARAMS,
    exchange: 'binance',
    symbol: 'BTC/USDT',
    timeframe: '1h',
  });
  const deployment = await createDeployment(
    t.db,
    userId,
    strategy.id,
    { accountId, mode: 'paper', feed: { type: 'replay', start: rows[0]![0], speed: 3_600_000 } },
    { now: clock },
  );
  deploymentId = deployment.id;
  const claimed = await claimDeployments(t.db, 'chart-worker', 1000, 60_000);
  const [row] = await t.db.select().from(deployments).where(eq(deployments.id, deploymentId));
  const rt = await loadRuntime(t.db, row!, Number(claimed.find((r) => r.id === deploymentId)!.lease_epoch));
  // 250 of the 400 bars: a deployment still running, its chart ends at its last processed bar
  for (let i = 0; i < 400; i++) {
    const [current] = await t.db.select({ last: deployments.lastBarTime }).from(deployments).where(eq(deployments.id, deploymentId));
    if ((current?.last ?? 0) >= rows[249]![0]) break;
    now += 10;
    await tickDeployment(t.db, rt, { now: clock });
  }
}, 120_000);

afterAll(async () => {
  await t?.destroy();
});

describe('GET /api/v1/deployments/{id}/chart: a window of the deployment’s price chart', () => {
  it('the bars its strategy processed, the plots on them and its fills as markers on their bars', async () => {
    const [row] = await t.db.select({ last: deployments.lastBarTime }).from(deployments).where(eq(deployments.id, deploymentId));
    const processed = rows.filter((r) => r[0] <= row!.last!);
    expect(processed.length).toBeGreaterThanOrEqual(250);
    const window = await getDeploymentChartWindow(t.db, userId, deploymentId, { maxBars: 5_000 });
    expect(window.aggregated).toBe(false);
    expect(window.candles.time, 'the processed bars, no further').toEqual(processed.map((r) => r[0]));
    expect(window.candles.close).toEqual(processed.map((r) => r[4]));
    const definition = getStrategyDefinition('sma_crossover');
    const expected = definition.plotValues!(seriesFromRows(processed), parseParams(definition, PARAMS));
    expect(window.plots.map((p) => p.name)).toEqual(['fast_ma', 'slow_ma']);
    expect(window.plots[1]!.values).toEqual(Array.from(expected.slow_ma!, (v) => (Number.isFinite(v) ? v : null)));

    const placed = await t.db
      .select({ side: orders.side, price: fills.price, executedAt: fills.executedAt })
      .from(fills)
      .innerJoin(orders, eq(orders.id, fills.orderId))
      .where(eq(orders.deploymentId, deploymentId))
      .orderBy(asc(fills.executedAt), asc(fills.id));
    expect(placed.length, 'the replay traded').toBeGreaterThan(2);
    expect(window.markers.map((m) => [m.side, m.barTime, Number(m.price)])).toEqual(placed.map((f) => [f.side, f.executedAt.getTime(), Number(f.price)]));
    for (const marker of window.markers) expect(window.candles.time, 'a marker sits on a candle').toContain(marker.time);
    expect(window.markers.map((m) => m.tradeNumber)).toEqual(placed.map((_, k) => k + 1));
  });

  it('zoomed out: aggregated candles, one marker per candle and side with `more`; narrow windows; another user gets a 404', async () => {
    const all = await getDeploymentChartWindow(t.db, userId, deploymentId, { maxBars: 5_000 });
    const zoomed = await getDeploymentChartWindow(t.db, userId, deploymentId, { maxBars: 20 });
    expect(zoomed.aggregated).toBe(true);
    expect(zoomed.candles.time.length).toBeLessThanOrEqual(20);
    expect(
      zoomed.markers.reduce((sum, m) => sum + 1 + m.more, 0),
      'every fill counted',
    ).toBe(all.markers.length);
    const from = all.candles.time[100]!;
    const narrow = await getDeploymentChartWindow(t.db, userId, deploymentId, { from, to: from + 10 * HOUR });
    expect(narrow.candles.time).toEqual(all.candles.time.slice(100, 110));
    expect(narrow.plots[0]!.values, 'plot values from the series start, not the window').toEqual(all.plots[0]!.values.slice(100, 110));
    await expect(getDeploymentChartWindow(t.db, otherId, deploymentId, {})).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
