import { and, asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alerts, deployments, fills, orders, paperBalances, strategies } from '@/db/schema';
import { EVENTS_CHANNEL } from '@/server/services/events';
import { runBacktest } from '@/server/core/backtest/engine';
import { seriesFromRows, type OhlcvRow } from '@/server/core/candles';
import { AppError } from '@/server/core/errors';
import { createStrategy } from '@/server/core/strategies/registry';
import { createAccount } from '@/server/services/accounts';
import { registerUser } from '@/server/services/auth/users';
import { upsertCandles } from '@/server/services/market-data/candles';
import { getOrder, placeOrder } from '@/server/services/orders';
import { createStrategyForUser } from '@/server/services/strategies/strategies';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { fixtureRows } from '@/server/testing/fixtures';
import { deploymentEquityCurve } from './equity';
import { createDeployment, getDeployment, listDeployments, pauseDeployment, resumeDeployment, stopDeployment } from './deployments';
import { claimDeployments } from './leases';
import { loadRuntime, tickDeployment, type DeploymentRuntime } from '.';
import { createDeployableStrategy } from '@/server/testing/strategies/deployable';

const HOUR = 3_600_000;
const rows: OhlcvRow[] = fixtureRows('btc-usd-1h').slice(0, 1200);
const PARAMS = { fastPeriod: 5, slowPeriod: 20, stopLossPct: 2, takeProfitPct: 4 };

let t: TestDatabase;
let userId: string;
let otherId: string;
let now = Date.UTC(2026, 0, 1);
const clock = () => now;

beforeAll(async () => {
  t = await createTestDatabase();
  userId = (await registerUser(t.db, { username: 'trader', password: 'correct horse battery' })).id;
  otherId = (await registerUser(t.db, { username: 'other', password: 'correct horse battery' })).id;
  await upsertCandles(t.db, { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' }, rows);
}, 60_000);

afterAll(async () => {
  await t?.destroy();
});

async function paperAccount(owner: string, name: string, usdt = '10000') {
  return (await createAccount(t.db, owner, { name, exchange: 'paper', balances: { USDT: usdt }, feeRate: '0.001', slippage: '0.0005' })).id;
}

async function backtestedStrategy(owner: string, name: string, type = 'sma_crossover', params: Record<string, unknown> = PARAMS) {
  const s = await createDeployableStrategy(t.db, owner, { name, type, params, exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' });
  return s.id;
}

/** Claims the deployment as a worker would (raising the epoch) and returns its runtime. */
async function claim(id: string): Promise<DeploymentRuntime> {
  await t.db.update(deployments).set({ leaseOwner: null, leaseExpiresAt: null }).where(eq(deployments.id, id));
  const claimed = await claimDeployments(t.db, 'test-worker', 1000, 60_000);
  const mine = claimed.find((r) => r.id === id)!;
  const [row] = await t.db.select().from(deployments).where(eq(deployments.id, id));
  return loadRuntime(t.db, row!, Number(mine.lease_epoch));
}

async function runUntil(rt: DeploymentRuntime, done: (status: string) => boolean, stepMs: number, maxTicks = 5000) {
  for (let i = 0; i < maxTicks; i++) {
    const result = await tickDeployment(t.db, rt, { now: clock });
    if (done(result.status)) return result;
    now += stepMs;
  }
  throw new Error('did not finish');
}

describe('a paper deployment on a replay', () => {
  it('reproduces the backtest of the same candles trade for trade, across a worker restart, and ends completed keeping its position', async () => {
    const accountId = await paperAccount(userId, 'replay parity');
    const strategyId = await backtestedStrategy(userId, 'parity');
    const deployment = await createDeployment(
      t.db,
      userId,
      strategyId,
      { accountId, mode: 'paper', feed: { type: 'replay', start: rows[0]![0], speed: 36_000 } },
      { now: clock },
    );
    expect(deployment.state).toBe('running');
    expect(deployment.feed).toEqual({ type: 'replay', start: new Date(rows[0]![0]).toISOString(), speed: 36_000 });

    // First worker: ten candles a second for 40 s of wall time (400 bars), then it "dies" (its runtime is dropped).
    let rt = await claim(deployment.id);
    for (let i = 0; i < 40; i++) {
      now += 1000;
      expect((await tickDeployment(t.db, rt, { now: clock })).status).toBe('ok');
    }
    const midway = await getDeployment(t.db, userId, deployment.id, { now: clock });
    expect(new Date(midway.lastBarTime!).getTime()).toBeGreaterThan(rows[300]![0]);
    // A second worker claims it (higher epoch) and continues from Postgres alone.
    rt = await claim(deployment.id);
    await runUntil(rt, (s) => s === 'ended', 5000);

    const done = await getDeployment(t.db, userId, deployment.id, { now: clock });
    expect(done.state).toBe('completed');
    expect(done.lastBarTime).toBe(new Date(rows.at(-1)![0]).toISOString());

    const backtest = runBacktest(seriesFromRows(rows), createStrategy('sma_crossover', PARAMS), {
      initialCapital: 10_000,
      feeRate: 0.001,
      slippage: 0.0005,
      timeframe: '1h',
    });
    const placed = await t.db
      .select({
        side: orders.side,
        clientOrderId: orders.clientOrderId,
        quantity: fills.quantity,
        price: fills.price,
        fee: fills.fee,
        executedAt: fills.executedAt,
      })
      .from(orders)
      .innerJoin(fills, eq(fills.orderId, orders.id))
      .where(eq(orders.deploymentId, deployment.id))
      .orderBy(asc(fills.executedAt), asc(fills.id));
    const expectedFills = backtest.markers.filter((m) => m.reason !== 'end');
    expect(placed.length).toBe(expectedFills.length);
    expect(placed.length).toBeGreaterThan(10);
    const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
    for (let k = 0; k < placed.length; k++) {
      const [got, want] = [placed[k]!, expectedFills[k]!];
      expect(got.side).toBe(want.side);
      expect(got.executedAt.getTime(), `fill ${k} time`).toBe(want.time);
      expect(rel(Number(got.price), want.price), `fill ${k} price`).toBeLessThan(1e-9);
      expect(rel(Number(got.quantity), want.quantity), `fill ${k} quantity`).toBeLessThan(1e-9);
      expect(rel(Number(got.fee), 0.001 * want.price * want.quantity), `fill ${k} fee`).toBeLessThan(1e-9);
    }
    expect(new Set(placed.map((p) => p.clientOrderId)).size, 'one order per decision').toBe(placed.length);
    // The account's balances are exactly what the fills imply.
    const [usdt] = await t.db
      .select()
      .from(paperBalances)
      .where(and(eq(paperBalances.accountId, accountId), eq(paperBalances.asset, 'USDT')));
    const [btc] = await t.db
      .select()
      .from(paperBalances)
      .where(and(eq(paperBalances.accountId, accountId), eq(paperBalances.asset, 'BTC')));
    const [implied] = await t.db.execute<{ usdt: string; btc: string }>(sql`
      select 10000 + coalesce(sum(case when o.side = 'sell' then f.price * f.quantity - f.fee else -(f.price * f.quantity + f.fee) end), 0) as usdt,
             coalesce(sum(case when o.side = 'buy' then f.quantity else -f.quantity end), 0) as btc
        from fills f join orders o on o.id = f.order_id where o.account_id = ${accountId}`);
    expect(Number(usdt!.free) + Number(usdt!.used)).toBeCloseTo(Number(implied!.usdt), 9);
    expect(Number(btc?.free ?? 0)).toBeCloseTo(Number(implied!.btc), 12);
    const endTrade = backtest.trades.find((tr) => tr.exitReason === 'end');
    expect(Number(done.position.quantity)).toBeCloseTo(endTrade ? endTrade.quantity : 0, 9);
    const [strategy] = await t.db.select().from(strategies).where(eq(strategies.id, strategyId));
    expect(strategy!.status).toBe('stopped');

    // Its equity curve (deployments.equity) is the backtest's bar-close equity, bar for bar (the last bar aside:
    // the backtest closes its position there, the deployment keeps it and reports its own equity).
    const curve = await deploymentEquityCurve(t.db, userId, deployment.id, { now: clock });
    expect(curve).toMatchObject({ deploymentId: deployment.id, currency: 'USDT', stepSeconds: 3600 });
    expect(
      curve.points.map((p) => Date.parse(p.time)),
      'one point per bar close',
    ).toEqual(rows.map((r) => r[0]));
    for (let i = 0; i < rows.length - 1; i++) expect(rel(Number(curve.points[i]!.equity), backtest.equity[i]!), `bar ${i}`).toBeLessThan(1e-9);
    expect(curve.points.at(-1)!.equity).toBe(done.equity);
    await expect(deploymentEquityCurve(t.db, otherId, deployment.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  }, 120_000);
});

describe('a DCA paper deployment on a replay (partial buys, take-profit sales of a summed position)', () => {
  it('reproduces the backtest fill for fill, and every sale sells exactly what the buys brought', async () => {
    const params = { intervalBars: 3, amountPerBuy: 700, takeProfitPct: 3 };
    const accountId = await paperAccount(userId, 'dca parity');
    const strategyId = await backtestedStrategy(userId, 'dca parity', 'dca', params);
    const d = await createDeployment(
      t.db,
      userId,
      strategyId,
      { accountId, mode: 'paper', feed: { type: 'replay', start: rows[0]![0], speed: 3_600_000 } },
      { now: clock },
    );
    const rt = await claim(d.id);
    await runUntil(rt, (s) => s === 'ended', 1000);
    expect((await getDeployment(t.db, userId, d.id)).state).toBe('completed');
    const backtest = runBacktest(seriesFromRows(rows), createStrategy('dca', params), {
      initialCapital: 10_000,
      feeRate: 0.001,
      slippage: 0.0005,
      timeframe: '1h',
    });
    const expected = backtest.markers.filter((m) => m.reason !== 'end');
    const got = await t.db
      .select({ side: orders.side, status: orders.status, quantity: fills.quantity, price: fills.price, executedAt: fills.executedAt })
      .from(orders)
      .leftJoin(fills, eq(fills.orderId, orders.id))
      .where(eq(orders.deploymentId, d.id))
      .orderBy(asc(fills.executedAt), asc(fills.id));
    expect(
      got.every((o) => o.status === 'filled'),
      'no order was refused (a sale never asks for more than the buys brought)',
    ).toBe(true);
    expect(expected.filter((m) => m.side === 'sell').length, 'the take profit sells several times').toBeGreaterThan(1);
    expect(got.map((o) => [o.side, o.executedAt!.getTime()])).toEqual(expected.map((m) => [m.side, m.time]));
    for (let k = 0; k < expected.length; k++) {
      expect(Math.abs(Number(got[k]!.price) - expected[k]!.price) / expected[k]!.price).toBeLessThan(1e-9);
      expect(Math.abs(Number(got[k]!.quantity) - expected[k]!.quantity) / expected[k]!.quantity).toBeLessThan(1e-9);
    }
  }, 120_000);
});

describe('deploying', () => {
  it('refuses bad input with the field and the reason', async () => {
    const accountId = await paperAccount(userId, 'validation');
    const strategyId = await backtestedStrategy(userId, 'validation');
    const issue = async (input: Parameters<typeof createDeployment>[3]) => {
      try {
        await createDeployment(t.db, userId, strategyId, input, { now: clock });
        return 'created';
      } catch (error) {
        return error instanceof AppError ? `${error.code} ${(error.details?.fields ?? []).map((f) => f.field).join(',')}` : String(error);
      }
    };
    expect(await issue({ accountId, mode: 'sideways' as 'paper' })).toBe('UNPROCESSABLE mode');
    expect(await issue({ accountId: 'nope', mode: 'paper' })).toBe('UNPROCESSABLE accountId');
    expect(await issue({ accountId, mode: 'paper', feed: { type: 'replay', speed: -1 } })).toBe('UNPROCESSABLE feed.speed');
    expect(await issue({ accountId, mode: 'paper', feed: { type: 'replay', start: '2031-01-01' } })).toBe('UNPROCESSABLE feed.start');
    expect(await issue({ accountId, mode: 'paper', capitalQuote: '20000' })).toBe('UNPROCESSABLE capitalQuote');
    expect(await issue({ accountId, mode: 'live', maxPositionQuote: '100' })).toBe('UNPROCESSABLE accountId');
    expect(await issue({ accountId, mode: 'paper', riskLimits: { maxDrawdownFraction: '2' } })).toBe('UNPROCESSABLE riskLimits.maxDrawdownFraction');
    const other = await paperAccount(otherId, 'not yours');
    expect(await issue({ accountId: other, mode: 'paper' })).toBe('UNPROCESSABLE accountId');
    const draft = await createStrategyForUser(t.db, userId, {
      name: 'draft',
      type: 'rsi',
      params: {},
      exchange: 'binance',
      symbol: 'BTC/USDT',
      timeframe: '1h',
    });
    await expect(createDeployment(t.db, userId, draft.id, { accountId, mode: 'paper' })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(createDeployment(t.db, otherId, strategyId, { accountId: other, mode: 'paper' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await t.db.$count(deployments, eq(deployments.strategyId, strategyId))).toBe(0);
  });

  it('deploys a pair-list strategy as one deployment with a position per pair (simulated market per pair)', async () => {
    const accountId = await paperAccount(userId, 'pair list');
    // A stored candle makes ETH/USDT a known market without the network (strategies/pair-list.ts).
    await upsertCandles(t.db, { exchange: 'binance', symbol: 'ETH/USDT', timeframe: '1h' }, rows.slice(0, 1));
    const pairs = await createDeployableStrategy(t.db, userId, {
      name: 'pairs',
      type: 'sma_crossover',
      params: { fastPeriod: 2, slowPeriod: 4 },
      exchange: 'binance',
      symbols: ['BTC/USDT', 'ETH/USDT'],
      timeframe: '1h',
    });
    const d = await createDeployment(t.db, userId, pairs.id, { accountId, mode: 'paper', feed: { type: 'simulated', speed: 36_000 } }, { now: clock });
    expect(d.strategy.symbols).toEqual(['BTC/USDT', 'ETH/USDT']);
    expect(await t.db.$count(deployments, eq(deployments.strategyId, pairs.id)), 'one deployment for the list').toBe(1);
    const rt = await claim(d.id);
    for (let i = 0; i < 20; i++) {
      now += 1000;
      await tickDeployment(t.db, rt, { now: clock });
    }
    const view = await getDeployment(t.db, userId, d.id, { now: clock });
    expect(view.positions.map((p) => p.symbol)).toEqual(['BTC/USDT', 'ETH/USDT']);
    expect(
      view.positions.every((p) => p.lastClose !== null),
      'each pair has seen its bars',
    ).toBe(true);
    const symbols = await t.db.selectDistinct({ symbol: orders.symbol }).from(orders).where(eq(orders.deploymentId, d.id));
    expect(symbols.map((o) => o.symbol).sort(), 'both pairs traded').toEqual(['BTC/USDT', 'ETH/USDT']);
  });

  it('allows one active deployment per strategy', async () => {
    const accountId = await paperAccount(userId, 'one active');
    const strategyId = await backtestedStrategy(userId, 'one active');
    await createDeployment(t.db, userId, strategyId, { accountId, mode: 'paper', feed: { type: 'simulated' } }, { now: clock });
    await expect(createDeployment(t.db, userId, strategyId, { accountId, mode: 'paper', feed: { type: 'simulated' } }, { now: clock })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    expect((await listDeployments(t.db, userId, { strategyId })).length).toBe(1);
    await expect(listDeployments(t.db, otherId, { strategyId }), "another user's strategy is not found").rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(listDeployments(t.db, userId, { strategyId: 'not-a-uuid' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await listDeployments(t.db, otherId)).toEqual([]);
  });
});

describe('live updates from a paper tick', () => {
  it('a tick that places an order notifies the order and then the deployment, once it commits', async () => {
    const accountId = await paperAccount(userId, 'tick events');
    const strategyId = await backtestedStrategy(userId, 'tick events dca', 'dca', { intervalBars: 1, amountPerBuy: 25 });
    const deployment = await createDeployment(
      t.db,
      userId,
      strategyId,
      { accountId, mode: 'paper', feed: { type: 'replay', start: rows[0]![0], speed: 3600 } },
      { now: clock },
    );
    const rt = await claim(deployment.id);
    const received: Array<{ kind: string; userId: string; deploymentId: string; orderId?: string; status?: string; state?: string }> = [];
    const listener = await t.sql.listen(EVENTS_CHANNEL, (payload) => {
      const event = JSON.parse(payload) as (typeof received)[number];
      if (event.deploymentId === deployment.id) received.push(event);
    });
    try {
      let placed = 0;
      for (let i = 0; i < 20 && placed === 0; i++) {
        now += 1000;
        placed = (await tickDeployment(t.db, rt, { now: clock })).orders;
      }
      expect(placed, 'DCA buys on a closed candle').toBeGreaterThan(0);
      await expect.poll(() => received.some((e) => e.kind === 'order')).toBe(true);
      const ordered = received.findIndex((e) => e.kind === 'order');
      expect(received[ordered], 'the order, filled, for its owner').toMatchObject({ kind: 'order', userId, deploymentId: deployment.id, status: 'filled' });
      expect(
        received.slice(ordered + 1).some((e) => e.kind === 'deployment' && e.state === 'running'),
        'then the deployment, in the same commit',
      ).toBe(true);
      const [stored] = await t.db.select({ id: orders.id }).from(orders).where(eq(orders.deploymentId, deployment.id)).limit(1);
      expect(received[ordered]!.orderId).toBe(stored!.id);
    } finally {
      await listener.unlisten();
      await pauseDeployment(t.db, userId, deployment.id);
    }
  });
});

describe('pause, resume and stop', () => {
  it('pause freezes the replay clock and revokes the lease: the old runner can no longer write', async () => {
    const accountId = await paperAccount(userId, 'pause');
    const strategyId = await backtestedStrategy(userId, 'pause');
    const d = await createDeployment(t.db, userId, strategyId, { accountId, mode: 'paper', feed: { type: 'replay', speed: 3600 } }, { now: clock });
    const rt = await claim(d.id);
    now += 100_000;
    await tickDeployment(t.db, rt, { now: clock });
    const paused = await pauseDeployment(t.db, userId, d.id, { now: clock });
    expect(paused.state).toBe('paused');
    const frozen = paused.feedTime;
    now += 500_000;
    expect((await getDeployment(t.db, userId, d.id, { now: clock })).feedTime).toBe(frozen);
    expect((await tickDeployment(t.db, rt, { now: clock })).status, 'the runner sees the lease is gone').toBe('lost');
    const resumed = await resumeDeployment(t.db, userId, d.id, { now: clock });
    expect(resumed.state).toBe('running');
    expect(resumed.feedTime).toBe(frozen);
    const [s] = await t.db.select().from(strategies).where(eq(strategies.id, strategyId));
    expect(s!.status).toBe('paper');
    await expect(resumeDeployment(t.db, otherId, d.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('stop cancels the deployment orders and, when asked, sells its position; a stopped deployment stays stopped', async () => {
    const accountId = await paperAccount(userId, 'stop');
    const strategyId = await backtestedStrategy(userId, 'stop', 'dca', { intervalBars: 5, amountPerBuy: 500 });
    const d = await createDeployment(t.db, userId, strategyId, { accountId, mode: 'paper', feed: { type: 'replay', speed: 3600 } }, { now: clock });
    const rt = await claim(d.id);
    for (let i = 0; i < 30; i++) {
      now += 1000;
      await tickDeployment(t.db, rt, { now: clock });
    }
    const before = await getDeployment(t.db, userId, d.id, { now: clock });
    expect(Number(before.position.quantity)).toBeGreaterThan(0);
    // A resting order of the deployment (placed as the runner would tag it) is canceled by the stop.
    const resting = await placeOrder(t.db, userId, {
      accountId,
      symbol: 'BTC/USDT',
      side: 'buy',
      type: 'limit',
      quantity: '0.001',
      price: '1000',
      deploymentId: d.id,
    });
    expect(resting.order.status).toBe('open');
    const result = await stopDeployment(t.db, userId, d.id, { closePosition: true }, { now: clock });
    expect(result.deployment.state).toBe('stopped');
    expect(result.canceledOrders).toBe(1);
    expect(result.failures).toEqual([]);
    expect((await getOrder(t.db, userId, resting.order.id)).status).toBe('canceled');
    const close = await getOrder(t.db, userId, result.closeOrderId!);
    expect(close.side).toBe('sell');
    expect(close.status, `${close.statusReason}`).toBe('filled');
    expect(Number(close.filledQuantity)).toBeCloseTo(Number(before.position.quantity), 12);
    expect(Number(result.deployment.position.quantity)).toBe(0);
    const [btc] = await t.db
      .select()
      .from(paperBalances)
      .where(and(eq(paperBalances.accountId, accountId), eq(paperBalances.asset, 'BTC')));
    expect(Number(btc!.free)).toBeCloseTo(0, 12);
    await expect(resumeDeployment(t.db, userId, d.id)).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(stopDeployment(t.db, userId, d.id)).rejects.toMatchObject({ code: 'CONFLICT' });
  });
});

describe('risk rules', () => {
  it('the max-drawdown circuit breaker pauses the deployment and raises an alert', async () => {
    const accountId = await paperAccount(userId, 'breaker');
    const strategyId = await backtestedStrategy(userId, 'breaker', 'dca', { intervalBars: 1, amountPerBuy: 2000 });
    const d = await createDeployment(
      t.db,
      userId,
      strategyId,
      { accountId, mode: 'paper', feed: { type: 'replay', speed: 360_000 }, riskLimits: { maxDrawdownFraction: '0.002' } },
      { now: clock },
    );
    const rt = await claim(d.id);
    await runUntil(rt, (s) => s === 'ended', 1000, 200);
    const view = await getDeployment(t.db, userId, d.id);
    expect(view.state).toBe('paused');
    expect(view.stateReason).toMatch(/max drawdown/);
    expect(await t.db.$count(alerts, and(eq(alerts.deploymentId, d.id), eq(alerts.kind, 'circuit_breaker')))).toBe(1);
  });

  it('entries are sized to the maximum position', async () => {
    const accountId = await paperAccount(userId, 'max position');
    const strategyId = await backtestedStrategy(userId, 'max position', 'dca', { intervalBars: 1, amountPerBuy: 1000 });
    const d = await createDeployment(
      t.db,
      userId,
      strategyId,
      { accountId, mode: 'paper', feed: { type: 'replay', speed: 3600 }, maxPositionQuote: '2500' },
      { now: clock },
    );
    const rt = await claim(d.id);
    for (let i = 0; i < 20; i++) {
      now += 1000;
      await tickDeployment(t.db, rt, { now: clock });
    }
    const buys = await t.db
      .select({ quantity: fills.quantity, price: fills.price })
      .from(fills)
      .innerJoin(orders, eq(orders.id, fills.orderId))
      .where(eq(orders.deploymentId, d.id))
      .orderBy(asc(fills.id));
    expect(buys.length).toBeGreaterThanOrEqual(2);
    let held = 0;
    for (const buy of buys) {
      held += Number(buy.quantity);
      expect(held * Number(buy.price), 'the position after each buy, at its price, is within the maximum').toBeLessThanOrEqual(2500 * (1 + 1e-6));
    }
    expect(Number((await getDeployment(t.db, userId, d.id)).position.quantity)).toBeCloseTo(held, 12);
    expect(await t.db.$count(alerts, and(eq(alerts.deploymentId, d.id), eq(alerts.kind, 'risk_rejected')))).toBeGreaterThan(0);
  });
});

describe('a simulated feed', () => {
  it('trades the simulated market from its start, at its speed', async () => {
    const accountId = await paperAccount(userId, 'simulated');
    const strategyId = await backtestedStrategy(userId, 'simulated', 'dca', { intervalBars: 2, amountPerBuy: 100 });
    const d = await createDeployment(t.db, userId, strategyId, { accountId, mode: 'paper', feed: { type: 'simulated', speed: 3600 } }, { now: clock });
    const rt = await claim(d.id);
    for (let i = 0; i < 12; i++) {
      now += 1000;
      await tickDeployment(t.db, rt, { now: clock });
    }
    const view = await getDeployment(t.db, userId, d.id, { now: clock });
    expect(view.lastBarTime).not.toBeNull();
    expect(await t.db.$count(orders, eq(orders.deploymentId, d.id))).toBeGreaterThanOrEqual(4);
    const sample = await t.db.select().from(orders).where(eq(orders.deploymentId, d.id)).limit(1);
    expect(sample[0]!.priceSource).toBe('simulated binance 1h');
    void HOUR;
  });
});
