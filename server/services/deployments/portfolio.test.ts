import { and, asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployments, fills, orders, paperBalances } from '@/db/schema';
import { runPortfolioBacktest } from '@/server/core/backtest/portfolio';
import { sliceByTime, type CandleSeries, type OhlcvRow } from '@/server/core/candles';
import { AppError } from '@/server/core/errors';
import { createStrategy } from '@/server/core/strategies/registry';
import { createAccount } from '@/server/services/accounts';
import { registerUser } from '@/server/services/auth/users';
import { engageKillSwitch } from '@/server/services/kill-switch';
import { upsertCandles } from '@/server/services/market-data/candles';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { fixtureSeries } from '@/server/testing/fixtures';
import { createDeployment, getDeployment, stopDeployment } from './deployments';
import { deploymentEquityCurve } from './equity';
import { claimDeployments } from './leases';
import { loadRuntime, tickDeployment, type DeploymentRuntime } from '.';
import { createDeployableStrategy } from '@/server/testing/strategies/deployable';

const DAY = 86_400_000;
const PARAMS = { fastPeriod: 8, slowPeriod: 21, stopLossPct: 3, trailingStopPct: 6 };
const btc = fixtureSeries('btc-usd-4h');
const eth = fixtureSeries('eth-usd-4h');
const start = Math.max(btc.time[0]!, eth.time[0]!) + 400 * DAY;
const end = start + 300 * DAY;

/** ETH's bars scaled to a third market, every 7th missing and starting 20 days later (P1: bars aligned on time). */
function solana(series: CandleSeries): CandleSeries {
  const keep: number[] = [];
  for (let i = 0; i < series.length; i++) if (i % 7 !== 3 && series.time[i]! >= start + 20 * DAY) keep.push(i);
  const pick = (column: Float64Array, k = 1) => Float64Array.from(keep, (i) => column[i]! * k);
  return {
    length: keep.length,
    time: pick(series.time),
    open: pick(series.open, 0.05),
    high: pick(series.high, 0.05),
    low: pick(series.low, 0.05),
    close: pick(series.close, 0.05),
    volume: pick(series.volume),
  };
}
const pairs: Array<[string, CandleSeries]> = [
  ['BTC/USDT', sliceByTime(btc, start, end)],
  ['ETH/USDT', sliceByTime(eth, start, end)],
  ['SOL/USDT', solana(sliceByTime(eth, start, end))],
];
const rowsOf = (s: CandleSeries): OhlcvRow[] =>
  Array.from({ length: s.length }, (_, i) => [s.time[i]!, s.open[i]!, s.high[i]!, s.low[i]!, s.close[i]!, s.volume[i]!]);
const CAPITAL = { maxOpenPositions: 2, stake: { type: 'pct_equity' as const, pct: 45 }, priority: 'list' as const };

let t: TestDatabase;
let userId: string;
let now = Date.UTC(2026, 0, 1);
const clock = () => now;

beforeAll(async () => {
  t = await createTestDatabase();
  userId = (await registerUser(t.db, { username: 'pairs', password: 'correct horse battery' })).id;
  for (const [symbol, series] of pairs) await upsertCandles(t.db, { exchange: 'binance', symbol, timeframe: '4h' }, rowsOf(series));
}, 60_000);

afterAll(async () => {
  await t?.destroy();
});

async function setup(name: string) {
  const accountId = (await createAccount(t.db, userId, { name, exchange: 'paper', balances: { USDT: '10000' }, feeRate: '0.001', slippage: '0.0005' })).id;
  const strategy = await createDeployableStrategy(t.db, userId, {
    name,
    type: 'sma_crossover',
    params: PARAMS,
    exchange: 'binance',
    symbols: pairs.map(([symbol]) => symbol),
    timeframe: '4h',
    capital: CAPITAL,
  });
  return { accountId, strategyId: strategy.id };
}

async function claim(id: string): Promise<DeploymentRuntime> {
  await t.db.update(deployments).set({ leaseOwner: null, leaseExpiresAt: null }).where(eq(deployments.id, id));
  const claimed = await claimDeployments(t.db, 'test-worker', 1000, 60_000);
  const mine = claimed.find((r) => r.id === id)!;
  const [row] = await t.db.select().from(deployments).where(eq(deployments.id, id));
  return loadRuntime(t.db, row!, Number(mine.lease_epoch));
}

describe('a pair-list paper deployment on a replay', () => {
  it('reproduces the portfolio backtest trade for trade across pairs, across a worker restart, with positions per pair', async () => {
    const { accountId, strategyId } = await setup('replay parity');
    const deployment = await createDeployment(
      t.db,
      userId,
      strategyId,
      { accountId, mode: 'paper', feed: { type: 'replay', speed: 14_400 * 10 } },
      { now: clock },
    );
    expect(deployment.strategy.symbols).toEqual(['BTC/USDT', 'ETH/USDT', 'SOL/USDT']);
    expect(deployment.positions.map((p) => [p.symbol, p.quantity])).toEqual([
      ['BTC/USDT', '0'],
      ['ETH/USDT', '0'],
      ['SOL/USDT', '0'],
    ]);

    // First worker: 40 ticks (ten 4h steps each), then it is dropped; a second claims with a higher epoch.
    let rt = await claim(deployment.id);
    for (let i = 0; i < 40; i++) {
      now += 1000;
      expect((await tickDeployment(t.db, rt, { now: clock })).status).toBe('ok');
    }
    const midway = await getDeployment(t.db, userId, deployment.id, { now: clock });
    expect(Date.parse(midway.lastBarTime!)).toBeGreaterThan(start + 50 * DAY);
    expect(midway.positions.some((p) => Number(p.quantity) > 0) || midway.closedTrades > 0, 'it traded in the first worker').toBe(true);
    rt = await claim(deployment.id);
    let status = '';
    for (let i = 0; i < 2000 && status !== 'ended'; i++) {
      now += 5000;
      status = (await tickDeployment(t.db, rt, { now: clock })).status;
    }
    const done = await getDeployment(t.db, userId, deployment.id, { now: clock });
    expect(done.state).toBe('completed');

    const backtest = runPortfolioBacktest(
      pairs.map(([symbol, series]) => ({ symbol, series, strategy: createStrategy('sma_crossover', PARAMS) })),
      { initialCapital: 10_000, feeRate: 0.001, slippage: 0.0005, timeframe: '4h', ...CAPITAL },
    );
    const placed = await t.db
      .select({
        symbol: orders.symbol,
        side: orders.side,
        clientOrderId: orders.clientOrderId,
        quantity: fills.quantity,
        price: fills.price,
        executedAt: fills.executedAt,
      })
      .from(orders)
      .innerJoin(fills, eq(fills.orderId, orders.id))
      .where(eq(orders.deploymentId, deployment.id))
      .orderBy(asc(fills.executedAt), asc(fills.id));
    const expected = backtest.markers.filter((m) => m.reason !== 'end');
    expect(new Set(expected.map((m) => m.symbol)).size, 'every pair trades').toBe(3);
    expect(placed.length).toBe(expected.length);
    const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
    for (let k = 0; k < placed.length; k++) {
      const [got, want] = [placed[k]!, expected[k]!];
      expect([got.symbol, got.side, got.executedAt.getTime()], `fill ${k}`).toEqual([want.symbol, want.side, want.time]);
      expect(rel(Number(got.price), want.price), `fill ${k} price`).toBeLessThan(1e-9);
      expect(rel(Number(got.quantity), want.quantity), `fill ${k} quantity`).toBeLessThan(1e-9);
    }
    expect(new Set(placed.map((p) => p.clientOrderId)).size, 'one order per decision').toBe(placed.length);

    // Positions per pair: what the backtest sells at the end of the data, the deployment keeps.
    for (const [symbol] of pairs) {
      const endTrade = backtest.trades.find((tr) => tr.exitReason === 'end' && tr.symbol === symbol);
      const position = done.positions.find((p) => p.symbol === symbol)!;
      expect(Number(position.quantity), `${symbol} position`).toBeCloseTo(endTrade ? endTrade.quantity : 0, 9);
      const [base] = symbol.split('/');
      const [balance] = await t.db
        .select()
        .from(paperBalances)
        .where(and(eq(paperBalances.accountId, accountId), eq(paperBalances.asset, base!)));
      expect(Number(balance?.free ?? 0), `${symbol}: the account holds what the deployment's position says`).toBeCloseTo(Number(position.quantity), 12);
    }
    const [implied] = await t.db.execute<{ usdt: string }>(sql`
      select 10000 + coalesce(sum(case when o.side = 'sell' then f.price * f.quantity - f.fee else -(f.price * f.quantity + f.fee) end), 0) as usdt
        from fills f join orders o on o.id = f.order_id where o.account_id = ${accountId}`);
    expect(Number(done.cash)).toBeCloseTo(Number(implied!.usdt), 6);
    expect(done.closedTrades).toBe(backtest.trades.filter((tr) => tr.exitReason !== 'end').length);

    // Its equity curve marks every pair: at each day's last step (the curve is bucketed by day over 300 days), it is
    // the backtest's portfolio equity at that step (the last step aside: the backtest sells there).
    const curve = await deploymentEquityCurve(t.db, userId, deployment.id, { now: clock });
    const stepIndex = new Map(Array.from(backtest.time, (time, i) => [time, i]));
    const origin = Date.parse(curve.points[0]!.time);
    expect(curve.stepSeconds).toBe(DAY / 1000);
    const dayEnds = curve.points.filter(
      (p) => p.source === 'bar' && (Date.parse(p.time) - origin) % DAY === DAY - 4 * 3_600_000 && Date.parse(p.time) < end - DAY,
    );
    expect(dayEnds.length).toBeGreaterThan(250);
    for (const point of dayEnds) {
      const i = stepIndex.get(Date.parse(point.time))!;
      expect(rel(Number(point.equity), backtest.equity[i]!), `equity at ${point.time}`).toBeLessThan(1e-9);
    }
  }, 180_000);

  it('stops with its positions closed, one sale per held pair', async () => {
    const { accountId, strategyId } = await setup('stop closes');
    const deployment = await createDeployment(
      t.db,
      userId,
      strategyId,
      { accountId, mode: 'paper', feed: { type: 'replay', speed: 14_400 * 10 } },
      { now: clock },
    );
    const rt = await claim(deployment.id);
    let held = 0;
    for (let i = 0; i < 400 && held === 0; i++) {
      now += 1000;
      await tickDeployment(t.db, rt, { now: clock });
      held = (await getDeployment(t.db, userId, deployment.id, { now: clock })).positions.filter((p) => Number(p.quantity) > 0).length;
    }
    expect(held, 'a position to close').toBeGreaterThan(0);
    const stopped = await stopDeployment(t.db, userId, deployment.id, { closePosition: true }, { now: clock });
    expect(stopped.failures).toEqual([]);
    expect(stopped.closeOrderId).not.toBeNull();
    expect(stopped.deployment.positions.every((p) => p.quantity === '0')).toBe(true);
    const closes = await t.db
      .select({ symbol: orders.symbol })
      .from(orders)
      .where(and(eq(orders.deploymentId, deployment.id), eq(orders.side, 'sell'), eq(orders.status, 'filled')));
    expect(closes.length).toBeGreaterThanOrEqual(held);
  }, 120_000);

  it('the kill switch halts it before any further order', async () => {
    const other = (await registerUser(t.db, { username: 'killer', password: 'correct horse battery' })).id;
    const accountId = (await createAccount(t.db, other, { name: 'k', exchange: 'paper', balances: { USDT: '10000' }, feeRate: '0.001', slippage: '0.0005' }))
      .id;
    const strategy = await createDeployableStrategy(t.db, other, {
      name: 'k',
      type: 'sma_crossover',
      params: PARAMS,
      exchange: 'binance',
      symbols: pairs.map(([symbol]) => symbol),
      timeframe: '4h',
    });
    const deployment = await createDeployment(
      t.db,
      other,
      strategy.id,
      { accountId, mode: 'paper', feed: { type: 'replay', speed: 14_400 * 10 } },
      { now: clock },
    );
    const rt = await claim(deployment.id);
    now += 1000;
    await tickDeployment(t.db, rt, { now: clock });
    const before = await t.db.select().from(orders).where(eq(orders.deploymentId, deployment.id));
    await engageKillSwitch(t.db, { id: other, role: 'user' }, { reason: 'halt pairs' }, { now: clock });
    now += 60_000;
    expect(['lost', 'ended']).toContain((await tickDeployment(t.db, rt, { now: clock })).status);
    const after = await t.db.select().from(orders).where(eq(orders.deploymentId, deployment.id));
    expect(after.length, 'no order after the engage').toBe(before.length);
    expect((await getDeployment(t.db, other, deployment.id, { now: clock })).state).toBe('paused');
  }, 60_000);

  it('refuses a replay when a pair has no stored candles, naming the pair', async () => {
    const { accountId } = await setup('missing pair');
    await upsertCandles(t.db, { exchange: 'binance', symbol: 'XRP/USDT', timeframe: '1h' }, rowsOf(sliceByTime(btc, start, start + 10 * DAY)));
    const strategy = await createDeployableStrategy(t.db, userId, {
      name: 'missing',
      type: 'sma_crossover',
      params: PARAMS,
      exchange: 'binance',
      symbols: ['BTC/USDT', 'XRP/USDT'],
      timeframe: '4h',
    });
    const error = await createDeployment(t.db, userId, strategy.id, { accountId, mode: 'paper', feed: { type: 'replay' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('UNPROCESSABLE');
    expect(JSON.stringify((error as AppError).details)).toContain('symbols[1]');
  });
});
