/**
 * A strategy's buy (machine-orders.ts, in a paper tick's transaction) and a buy signal (signals/decide.ts) get the
 * same verdict from the same state: the same size, the same refusal, and a circuit breaker that alerts and pauses.
 * Both deployments are set to one runner state, at one price, with the same limits; then each path is asked to buy.
 */
import { randomBytes } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alerts, deployments, notificationOutbox, orders, strategies } from '@/db/schema';
import { initialMachineState, StrategyMachine, type MachineState } from '@/server/core/trading';
import { createAccount } from '@/server/services/accounts';
import { registerUser } from '@/server/services/auth/users';
import { parseMasterKey } from '@/server/services/crypto';
import { upsertCandles } from '@/server/services/market-data/candles';
import { createChannel, createRule } from '@/server/services/notifications';
import { rotateSignalSecret, receiveSignal } from '@/server/services/signals';
import { createStrategyForUser } from '@/server/services/strategies/strategies';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { buyVerdict } from './buy-verdict';
import { createDeployment, getDeployment } from './deployments';
import { executeMachineOrder, fixedPrice, StopTick, type TickContext } from './machine-orders';
import { loadRuntime } from './runtime';
import { createDeployableStrategy } from '@/server/testing/strategies/deployable';

const PRICE = 50_000;
const HOUR = 3_600_000;
const KEY = parseMasterKey(randomBytes(32).toString('base64'));
const LIMITS = { maxOrderNotional: '2000', maxDrawdownFraction: '0.05' };
let t: TestDatabase;
let userId: string;
const now = Date.UTC(2026, 0, 10, 12);
let seq = 0;

beforeAll(async () => {
  t = await createTestDatabase();
  userId = (await registerUser(t.db, { username: 'verdicts', password: 'correct horse battery' })).id;
  const start = Date.UTC(2026, 0, 9);
  await upsertCandles(
    t.db,
    { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' },
    Array.from({ length: 36 }, (_, i) => [start + i * HOUR, PRICE, PRICE, PRICE, PRICE, 1] as [number, number, number, number, number, number]),
  );
}, 60_000);
afterAll(async () => {
  await t?.destroy();
});

/** A bar strategy's deployment and a signal deployment with the same account terms, capital and limits. */
async function pair() {
  seq++;
  const account = async (name: string) =>
    (await createAccount(t.db, userId, { name: `${name} ${seq}`, exchange: 'paper', balances: { USDT: '10000' }, feeRate: '0.001', slippage: '0.0005' })).id;
  const common = { mode: 'paper' as const, maxPositionQuote: '3000', riskLimits: LIMITS, capitalQuote: '10000' };
  const dca = await createDeployableStrategy(t.db, userId, {
    name: `dca ${seq}`,
    type: 'dca',
    params: { intervalBars: 1, amountPerBuy: 100 },
    exchange: 'binance',
    symbol: 'BTC/USDT',
    timeframe: '1h',
  });
  const bar = await createDeployment(
    t.db,
    userId,
    dca.id,
    { ...common, accountId: await account('bars'), feed: { type: 'replay', start: Date.UTC(2026, 0, 9, 6), speed: 1 } },
    { now: () => now },
  );
  const sig = await createStrategyForUser(t.db, userId, { name: `signals ${seq}`, type: 'signal', exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' });
  const signal = await createDeployment(t.db, userId, sig.id, { ...common, accountId: await account('signals') }, { now: () => now });
  const { secret } = await rotateSignalSecret(t.db, userId, signal.id);
  return { barId: bar.id, signalId: signal.id, signalStrategyId: sig.id, secret };
}

async function setState(deploymentId: string, state: MachineState) {
  await t.db
    .update(deployments)
    .set({ runner: state as unknown as Record<string, unknown> })
    .where(eq(deployments.id, deploymentId));
}

/** The strategy path: the machine's buy of `quantity` at PRICE, as a paper tick executes it (its own transaction). */
async function strategyBuy(deploymentId: string, quantity: number) {
  const [row] = await t.db.select().from(deployments).where(eq(deployments.id, deploymentId));
  const rt = await loadRuntime(t.db, row!, row!.leaseEpoch);
  const state = structuredClone(row!.runner as unknown as MachineState);
  const machine = new StrategyMachine(state, rt.strategy, { capital: 10_000, feeRate: 0.001, slippage: 0.0005 });
  return t.db.transaction(async (tx) => {
    const ctx: TickContext = { db: t.db, tx, rt, deps: {}, ordersPlaced: 0, machine, paused: null, notifications: [] };
    const order = { side: 'buy' as const, intent: 'enter' as const, decidedOn: now - HOUR, fillBarTime: now, referencePrice: PRICE, quantity };
    try {
      const fill = await executeMachineOrder(ctx, order);
      return { fill, paused: ctx.paused };
    } catch (error) {
      if (!(error instanceof StopTick)) throw error;
      return { fill: null, paused: ctx.paused };
    }
  });
}

/** The signal path: a buy signal of `size` at PRICE. */
function signalBuy(deploymentId: string, secret: string, size: number, id: string) {
  return receiveSignal(t.db, deploymentId, secret, JSON.stringify({ action: 'buy', symbol: 'BTCUSDT', size: String(size), id }), {
    now: () => now,
    orderDeps: { prices: () => fixedPrice(PRICE, now, 'test') },
  });
}

const orderQuantities = async (deploymentId: string) =>
  (await t.db.select({ quantity: orders.quantity }).from(orders).where(eq(orders.deploymentId, deploymentId))).map((o) => Number(o.quantity));
const alertKinds = async (deploymentId: string) =>
  (await t.db.select({ kind: alerts.kind }).from(alerts).where(eq(alerts.deploymentId, deploymentId))).map((a) => a.kind).sort();

/** Flat or holding `quantity` bought at PRICE, marked at PRICE, with the equity peak given. */
function stateAt(quantity: number, equityPeak = 10_000): MachineState {
  const state = initialMachineState(10_000);
  state.quantity = quantity;
  state.cash = 10_000 - quantity * PRICE;
  state.entryPrice = PRICE;
  state.entryCost = quantity * PRICE;
  state.lastClose = PRICE;
  state.equity = 10_000;
  state.equityPeak = equityPeak;
  state.dayStartMs = Math.floor(now / 86_400_000) * 86_400_000;
  state.dayStartEquity = 10_000;
  return state;
}

describe('one buy verdict for a strategy decision and a signal', () => {
  it('sizes a buy down to the maximum position alike', async () => {
    const d = await pair();
    // Holding 0.05 BTC (2500 of the 3000 maximum): a wanted 0.03 becomes what fits.
    await setState(d.barId, stateAt(0.05));
    await setState(d.signalId, stateAt(0.05));
    const strategy = await strategyBuy(d.barId, 0.03);
    const signal = await signalBuy(d.signalId, d.secret, 0.03, 'fit');
    expect(strategy.fill, 'the strategy path bought').not.toBeNull();
    expect(signal.status).toBe(201);
    const [barQty] = await orderQuantities(d.barId);
    const [signalQty] = await orderQuantities(d.signalId);
    const expected = buyVerdict({
      row: { id: d.barId, userId, maxPositionQuote: '3000', riskLimits: LIMITS },
      account: { id: 'x', feeRate: '0.001', slippage: '0.0005' },
      state: stateAt(0.05),
      quantity: 0.03,
      referencePrice: PRICE,
    });
    expect(expected.kind).toBe('buy');
    expect(barQty, 'the strategy buys what fits under the maximum position').toBeLessThan(0.03);
    expect(signalQty, 'the signal buys exactly what the strategy bought').toBe(barQty);
    expect(barQty).toBeCloseTo((expected as { quantity: number }).quantity, 12);
  });

  it('refuses a buy over the max order notional alike, with a risk_rejected alert on each', async () => {
    const d = await pair();
    await setState(d.barId, stateAt(0));
    await setState(d.signalId, stateAt(0));
    const strategy = await strategyBuy(d.barId, 0.045); // 2250 > 2000
    const signal = await signalBuy(d.signalId, d.secret, 0.045, 'too-big');
    expect(strategy.fill).toBeNull();
    expect(strategy.paused).toBeNull();
    expect(signal.status).toBe(409);
    expect((signal.body as { error: { message: string; details: { rule: string } } }).error.details.rule).toBe('max_order_notional');
    expect(await orderQuantities(d.barId)).toEqual([]);
    expect(await orderQuantities(d.signalId)).toEqual([]);
    expect(await alertKinds(d.barId)).toEqual(['risk_rejected']);
    expect(await alertKinds(d.signalId), 'one alert, the verdict’s: not a second signal_rejected').toEqual(['risk_rejected']);
    const [barAlert] = await t.db.select().from(alerts).where(eq(alerts.deploymentId, d.barId));
    const [signalAlert] = await t.db.select().from(alerts).where(eq(alerts.deploymentId, d.signalId));
    expect(signalAlert!.message).toMatch(/^signal too-big \(buy\): refused by the max order notional rule/);
    expect(signalAlert!.message.split(': refused')[1], 'the same refusal in both alerts').toBe(barAlert!.message.split(': refused')[1]);
  });

  it('a circuit breaker on a signal alerts and pauses the deployment through its transition, as it stops a strategy’s tick', async () => {
    const d = await pair();
    const channel = await createChannel(
      t.db,
      userId,
      { type: 'webhook', name: `breakers ${seq}`, url: 'https://hooks.example.com/cryptobot', secret: 'receiver-shared-secret-0123456789' },
      { keys: [KEY] },
    );
    await createRule(t.db, userId, { channelId: channel.id, kind: 'circuit_breaker', deploymentId: d.signalId });
    await createRule(t.db, userId, { channelId: channel.id, kind: 'deployment_state', deploymentId: d.signalId });
    // Equity 10000 against a peak of 11000: 9% down, past the 5% max drawdown.
    await setState(d.barId, stateAt(0.02, 11_000));
    await setState(d.signalId, stateAt(0.02, 11_000));
    const [before] = await t.db.select().from(deployments).where(eq(deployments.id, d.signalId));

    const strategy = await strategyBuy(d.barId, 0.01);
    expect(strategy.fill).toBeNull();
    expect(strategy.paused?.reason, 'the strategy path stops its tick to pause (tick.ts pauseForRisk)').toMatch(/max drawdown/);

    const signal = await signalBuy(d.signalId, d.secret, 0.01, 'breaker');
    expect(signal.status).toBe(409);
    const error = (signal.body as { error: { message: string; details: { rule: string } } }).error;
    expect(error.details.rule).toBe('max_drawdown');
    expect(error.message).toBe(`signal refused: ${strategy.paused!.reason}`);
    expect(await orderQuantities(d.signalId)).toEqual([]);
    expect(await alertKinds(d.barId)).toEqual(['circuit_breaker']);
    expect(await alertKinds(d.signalId)).toEqual(['circuit_breaker']);

    const view = await getDeployment(t.db, userId, d.signalId);
    expect(view.state, 'paused by the transition table').toBe('paused');
    expect(view.stateReason).toBe(strategy.paused!.reason);
    const [after] = await t.db.select().from(deployments).where(eq(deployments.id, d.signalId));
    expect(after!.leaseEpoch, 'the transition revoked the epoch').toBe(before!.leaseEpoch + 1);
    const [strategyRow] = await t.db.select().from(strategies).where(eq(strategies.id, d.signalStrategyId));
    expect(strategyRow!.status, 'the lifecycle event paused the strategy').toBe('paused');
    const queued = await t.db
      .select({ kind: notificationOutbox.kind })
      .from(notificationOutbox)
      .where(and(eq(notificationOutbox.channelId, channel.id)));
    expect(queued.map((q) => q.kind).sort(), 'the breaker and the pause are both notified, once each').toEqual(['circuit_breaker', 'deployment_state']);

    const next = await signalBuy(d.signalId, d.secret, 0.01, 'after');
    expect(next.status, 'a paused deployment takes no signals').toBe(409);
  });
});
