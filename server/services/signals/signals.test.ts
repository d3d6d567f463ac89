import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alerts, deployments, killSwitches, orders } from '@/db/schema';
import { AppError } from '@/server/core/errors';
import { createAccount } from '@/server/services/accounts';
import { registerUser } from '@/server/services/auth/users';
import { createDeployment, getDeployment, pauseDeployment } from '@/server/services/deployments';
import { claimDeployments } from '@/server/services/deployments/leases';
import { engageKillSwitch, releaseKillSwitch } from '@/server/services/kill-switch/kill-switch';
import { upsertCandles } from '@/server/services/market-data/candles';
import { createStrategyForUser } from '@/server/services/strategies/strategies';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { listSignals, receiveSignal, rotateSignalSecret, type SignalOptions } from '.';

let t: TestDatabase;
let userId: string;
let now = Date.UTC(2026, 0, 10, 12);
const clock = () => now;
const PRICE = 50_000;
const BIG = { limit: 10_000, windowMs: 60_000 };

beforeAll(async () => {
  t = await createTestDatabase();
  userId = (await registerUser(t.db, { username: 'signaller', password: 'correct horse battery' })).id;
  // The paper price: the last stored close of BTC/USDT.
  const start = Date.UTC(2026, 0, 10);
  await upsertCandles(
    t.db,
    { exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' },
    Array.from({ length: 12 }, (_, i) => [start + i * 3_600_000, PRICE, PRICE, PRICE, PRICE, 1] as [number, number, number, number, number, number]),
  );
}, 60_000);

afterAll(async () => {
  await t?.destroy();
});

interface Desk {
  deploymentId: string;
  accountId: string;
  secret: string;
  send: (body: unknown, options?: SignalOptions & { secret?: string | null }) => ReturnType<typeof receiveSignal>;
}

let seq = 0;
async function signalDesk(input: { usdt?: string; riskLimits?: Record<string, string>; positionSizePct?: number } = {}): Promise<Desk> {
  seq++;
  const accountId = (
    await createAccount(t.db, userId, { name: `signals ${seq}`, exchange: 'paper', balances: { USDT: input.usdt ?? '10000' }, feeRate: '0.001', slippage: '0' })
  ).id;
  const strategy = await createStrategyForUser(t.db, userId, {
    name: `webhook ${seq}`,
    type: 'signal',
    params: input.positionSizePct ? { positionSizePct: input.positionSizePct } : {},
    exchange: 'binance',
    symbol: 'BTC/USDT',
    timeframe: '1h',
  });
  const deployment = await createDeployment(t.db, userId, strategy.id, { accountId, mode: 'paper', riskLimits: input.riskLimits }, { now: clock });
  const { secret } = await rotateSignalSecret(t.db, userId, deployment.id);
  return {
    deploymentId: deployment.id,
    accountId,
    secret,
    send: (body, options = {}) =>
      receiveSignal(t.db, deployment.id, options.secret === undefined ? secret : options.secret, typeof body === 'string' ? body : JSON.stringify(body), {
        now: clock,
        throttle: BIG,
        ...options,
      }),
  };
}

const ordersOf = (deploymentId: string) => t.db.select().from(orders).where(eq(orders.deploymentId, deploymentId));

async function expectAppError(promise: Promise<unknown>, code: string): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, `should throw ${code}`).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(code);
  return error as AppError;
}

describe('a signal deployment', () => {
  it('deploys from draft on paper, is never claimed by a worker, and refuses live mode on a paper account naming the field', async () => {
    const desk = await signalDesk();
    const claimed = await claimDeployments(t.db, 'w', 1000, 60_000);
    expect(
      claimed.map((c) => c.id),
      'nothing happens on its bars: no worker holds it',
    ).not.toContain(desk.deploymentId);
    const strategy = await createStrategyForUser(t.db, userId, {
      name: 'live signals',
      type: 'signal',
      exchange: 'binance',
      symbol: 'BTC/USDT',
      timeframe: '1h',
    });
    const error = await expectAppError(
      createDeployment(t.db, userId, strategy.id, { accountId: desk.accountId, mode: 'live', maxPositionQuote: '100' }),
      'UNPROCESSABLE',
    );
    expect(error.details?.fields?.[0]?.field, 'live signals need a real exchange account (live-signals.test.ts)').toBe('accountId');
    const stops = await expectAppError(
      createStrategyForUser(t.db, userId, { name: 'x', type: 'signal', params: { stopLossPct: 2 }, exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' }),
      'UNPROCESSABLE',
    );
    expect(stops.details?.fields?.[0]?.field).toBe('params.stopLossPct');
  });

  it('buys and exits through the order path: one paper order per signal, the deployment position and cash follow the fills', async () => {
    const desk = await signalDesk({ positionSizePct: 50 });
    const buy = await desk.send({ action: 'buy', symbol: 'BINANCE:BTCUSDT', id: 'b1', time: now });
    expect(buy.status).toBe(201);
    const signal = (buy.body as { signal: { outcome: string; orderId: string; orderStatus: string } }).signal;
    expect(signal.outcome).toBe('executed');
    expect(signal.orderStatus).toBe('filled');
    const [order] = await ordersOf(desk.deploymentId);
    expect(order!.id).toBe(signal.orderId);
    expect(order!.side).toBe('buy');
    // 50% of 10000 USDT, fee included, at 50000.
    expect(Number(order!.quantity)).toBeCloseTo(5000 / (PRICE * 1.001), 9);
    let view = await getDeployment(t.db, userId, desk.deploymentId);
    expect(Number(view.position.quantity)).toBeCloseTo(Number(order!.quantity), 12);
    expect(Number(view.cash)).toBeCloseTo(5000, 6);
    expect(view.lastDecision?.decision).toBe('buy');

    const exit = await desk.send({ action: 'exit', symbol: 'BTC/USDT', id: 'x1' });
    expect(exit.status).toBe(201);
    view = await getDeployment(t.db, userId, desk.deploymentId);
    expect(Number(view.position.quantity), 'flat after the exit').toBe(0);
    expect(view.closedTrades).toBe(1);
    expect((await ordersOf(desk.deploymentId)).map((o) => o.side).sort()).toEqual(['buy', 'sell']);
  });

  it('answers a duplicate id with the first outcome and never a second order', async () => {
    const desk = await signalDesk();
    const first = await desk.send({ action: 'buy', symbol: 'BTC/USDT', size: '0.01', id: 'dup-1' });
    const again = await desk.send({ action: 'buy', symbol: 'BTC/USDT', size: '0.01', id: 'dup-1' });
    expect(first.status).toBe(201);
    expect(again.status, 'a duplicate is answered, not re-executed').toBe(200);
    expect(again.body.duplicate).toBe(true);
    expect((again.body.signal as { orderId: string }).orderId).toBe((first.body.signal as { orderId: string }).orderId);
    expect(await ordersOf(desk.deploymentId)).toHaveLength(1);
  });

  it('places exactly one order for a concurrent burst of the same signal', async () => {
    const desk = await signalDesk();
    const answers = await Promise.all(Array.from({ length: 12 }, () => desk.send({ action: 'buy', symbol: 'BTC/USDT', size: '0.001', id: 'burst-1' })));
    expect(
      answers.filter((a) => a.status === 201),
      'one executes',
    ).toHaveLength(1);
    expect(
      answers.filter((a) => a.status === 200 && a.body.duplicate === true),
      'the rest answer its outcome',
    ).toHaveLength(11);
    expect(await ordersOf(desk.deploymentId)).toHaveLength(1);
    const orderIds = new Set(answers.map((a) => (a.body.signal as { orderId: string }).orderId));
    expect(orderIds.size).toBe(1);
  });

  it('refuses a signal outside the replay window, naming `time`, and records it without claiming its id', async () => {
    const desk = await signalDesk();
    const stale = await desk.send({ action: 'buy', symbol: 'BTC/USDT', size: '0.001', id: 'late', time: now - 10 * 60_000 });
    expect(stale.status).toBe(422);
    const error = stale.body.error as { details: { fields: { field: string }[] } };
    expect(error.details.fields[0]!.field).toBe('time');
    const future = await desk.send({ action: 'buy', symbol: 'BTC/USDT', size: '0.001', id: 'early', time: new Date(now + 10 * 60_000).toISOString() });
    expect(future.status).toBe(422);
    expect(await ordersOf(desk.deploymentId)).toHaveLength(0);
    const inWindow = await desk.send({ action: 'buy', symbol: 'BTC/USDT', size: '0.001', id: 'late', time: now - 60_000 });
    expect(inWindow.status, 'the refused id was not claimed').toBe(201);
    const listed = await listSignals(t.db, userId, desk.deploymentId);
    expect(listed.signals.map((s) => s.outcome)).toEqual(['executed', 'invalid', 'invalid']);
  });

  it('is refused while the kill switch is engaged (the latch itself, and the pause it causes), with an alert', async () => {
    const desk = await signalDesk();
    // The latch alone (as if engaged between the pause and this signal): the order path's own check refuses.
    await t.db.insert(killSwitches).values({ userId, engagedBy: userId, reason: 'test latch' });
    const latched = await desk.send({ action: 'buy', symbol: 'BTC/USDT', size: '0.001', id: 'k1' });
    expect(latched.status).toBe(409);
    expect((latched.body.error as { message: string }).message).toMatch(/kill switch/);
    await t.db.delete(killSwitches).where(eq(killSwitches.userId, userId));

    await engageKillSwitch(t.db, { id: userId, role: 'user' }, { reason: 'stop everything' }, { now: clock });
    const paused = await desk.send({ action: 'buy', symbol: 'BTC/USDT', size: '0.001', id: 'k2' });
    expect(paused.status).toBe(409);
    await releaseKillSwitch(t.db, { id: userId, role: 'user' }, {}, { now: clock });
    expect(await ordersOf(desk.deploymentId)).toHaveLength(0);
    const raised = await t.db
      .select()
      .from(alerts)
      .where(and(eq(alerts.deploymentId, desk.deploymentId), eq(alerts.kind, 'signal_rejected')));
    expect(raised.length).toBe(2);
    // A refused id stays refused: its duplicate answers the same 409.
    const dup = await desk.send({ action: 'buy', symbol: 'BTC/USDT', size: '0.001', id: 'k1' });
    expect(dup.status).toBe(409);
    expect(dup.body.duplicate).toBe(true);
  });

  it('goes through the same risk rules as a strategy decision (max order notional) and sells only what it holds', async () => {
    const desk = await signalDesk({ riskLimits: { maxOrderNotional: '100' } });
    const big = await desk.send({ action: 'buy', symbol: 'BTC/USDT', size: '0.01', id: 'r1' });
    expect(big.status).toBe(409);
    const error = big.body.error as { message: string; details: { rule: string } };
    expect(error.details.rule).toBe('max_order_notional');
    const small = await desk.send({ action: 'buy', symbol: 'BTC/USDT', size: '0.001', id: 'r2' });
    expect(small.status).toBe(201);
    const nothing = await (await signalDesk()).send({ action: 'sell', symbol: 'BTC/USDT', id: 's1' });
    expect(nothing.status).toBe(409);
    expect((nothing.body.error as { message: string }).message).toMatch(/nothing to sell/);
    await pauseDeployment(t.db, userId, desk.deploymentId);
    const whilePaused = await desk.send({ action: 'exit', symbol: 'BTC/USDT', id: 'r3' });
    expect(whilePaused.status).toBe(409);
    expect((whilePaused.body.error as { message: string }).message).toMatch(/paused/);
  });

  it('throttles per deployment with 429 and Retry-After seconds, leaving other deployments alone', async () => {
    const desk = await signalDesk();
    const other = await signalDesk();
    const throttle = { limit: 3, windowMs: 60_000 };
    for (let i = 0; i < 3; i++) expect((await desk.send({ action: 'buy', symbol: 'BTC/USDT', size: '0.0001', id: `t${i}` }, { throttle })).status).toBe(201);
    const error = await expectAppError(desk.send({ action: 'buy', symbol: 'BTC/USDT', size: '0.0001', id: 't3' }, { throttle }), 'TOO_MANY_REQUESTS');
    expect(error.details?.retryAfterSeconds).toBeGreaterThan(0);
    expect((await other.send({ action: 'buy', symbol: 'BTC/USDT', size: '0.0001', id: 't0' }, { throttle })).status).toBe(201);
    now += 61_000;
    expect((await desk.send({ action: 'buy', symbol: 'BTC/USDT', size: '0.0001', id: 't3' }, { throttle })).status, 'the next window').toBe(201);
  });

  it('answers a bad body with a 4xx naming the field, records it and raises an alert', async () => {
    const desk = await signalDesk();
    const cases: [unknown, number, string][] = [
      ['not json', 400, '(body)'],
      [{ symbol: 'BTC/USDT', id: 'a' }, 422, 'action'],
      [{ action: 'hold', symbol: 'BTC/USDT', id: 'a' }, 422, 'action'],
      [{ action: 'buy', id: 'a' }, 422, 'symbol'],
      [{ action: 'buy', symbol: 'ETH/USDT', id: 'a' }, 422, 'symbol'],
      [{ action: 'buy', symbol: 'BTC/USDT' }, 422, 'id'],
      [{ action: 'buy', symbol: 'BTC/USDT', id: 'a', size: '-1' }, 422, 'size'],
      [{ action: 'buy', symbol: 'BTC/USDT', id: 'a', size: 'NaN' }, 422, 'size'],
      [{ action: 'buy', symbol: 'BTC/USDT', id: 'a', price: 'abc' }, 422, 'price'],
      [{ action: 'buy', symbol: 'BTC/USDT', id: 'a', time: '2026-01-10 12:00' }, 422, 'time'],
      [{ action: 'buy', symbol: 'BTC/USDT', id: 'a', leverage: 5 }, 422, '(body)'],
    ];
    for (const [body, status, field] of cases) {
      const answer = await desk.send(body);
      expect(answer.status, JSON.stringify(body)).toBe(status);
      const error = answer.body.error as { message: string; details: { fields: { field: string; message: string }[] } };
      expect(error.details.fields[0]!.field, JSON.stringify(body)).toBe(field);
      expect(error.message).toContain(field);
    }
    expect(await ordersOf(desk.deploymentId)).toHaveLength(0);
    const listed = await listSignals(t.db, userId, desk.deploymentId);
    expect(listed.signals).toHaveLength(cases.length);
    expect(listed.signals.every((s) => s.outcome === 'invalid')).toBe(true);
    const raised = await t.db.select().from(alerts).where(eq(alerts.deploymentId, desk.deploymentId));
    expect(raised).toHaveLength(cases.length);
  });

  it('refuses a wrong or missing secret and an unknown deployment alike (401), and a rotated secret stops the old one', async () => {
    const desk = await signalDesk();
    await expectAppError(desk.send({ action: 'buy', symbol: 'BTC/USDT', id: 'w' }, { secret: 'nope' }), 'UNAUTHORIZED');
    await expectAppError(desk.send({ action: 'buy', symbol: 'BTC/USDT', id: 'w' }, { secret: null }), 'UNAUTHORIZED');
    await expectAppError(receiveSignal(t.db, '00000000-0000-4000-8000-000000000000', desk.secret, '{}', { now: clock }), 'UNAUTHORIZED');
    const rotated = await rotateSignalSecret(t.db, userId, desk.deploymentId);
    await expectAppError(desk.send({ action: 'buy', symbol: 'BTC/USDT', id: 'w' }), 'UNAUTHORIZED');
    expect((await desk.send({ action: 'buy', symbol: 'BTC/USDT', size: '0.001', id: 'w' }, { secret: rotated.secret })).status).toBe(201);
    const listed = await listSignals(t.db, userId, desk.deploymentId);
    expect(listed.secret?.prefix).toBe(rotated.secret.slice(0, 6));
    expect(JSON.stringify(listed), 'the secret is never listed').not.toContain(rotated.secret);
    const [row] = await t.db.select().from(deployments).where(eq(deployments.id, desk.deploymentId));
    expect(row!.leaseOwner).toBeNull();
  });
});
