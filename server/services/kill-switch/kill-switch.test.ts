import { randomBytes } from 'node:crypto';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alerts, auditEvents, deployments, killSwitches, orders } from '@/db/schema';
import { AppError } from '@/server/core/errors';
import { clearMarketCache } from '@/server/exchange/ccxt-adapter';
import { BinanceTestServer, faults } from '@/server/testing/exchange/binance-test-server';
import { TEST_EXCHANGES, testServerConnector } from '@/server/testing/exchange/connector';
import { createAccount } from '@/server/services/accounts';
import { registerUser } from '@/server/services/auth/users';
import { parseMasterKey } from '@/server/services/crypto';
import { createDeployment, getDeployment, resumeDeployment } from '@/server/services/deployments/deployments';
import { claimDeployments } from '@/server/services/deployments/leases';
import { loadRuntime, tickDeployment } from '@/server/services/deployments';
import { EVENTS_CHANNEL } from '@/server/services/events';
import { getOrder, placeOrder, type OrderDeps, type PaperPriceSource, type PlaceOrderInput } from '@/server/services/orders';
import { reconcileAccount } from '@/server/services/reconcile';
import { createTestDatabase, type TestDatabase } from '@/server/testing/db';
import { engageKillSwitch, getKillSwitchState, releaseKillSwitch, type KillSwitchActor } from './kill-switch';
import { createDeployableStrategy } from '@/server/testing/strategies/deployable';

const KEY = parseMasterKey(randomBytes(32).toString('base64'));

let t: TestDatabase;
let server: BinanceTestServer;
let admin: KillSwitchActor & { username: string };
let counter = 0;

const feed: PaperPriceSource = {
  latest: async () => ({ price: 100, timeMs: Date.now(), source: 'test feed' }),
  candlesSince: async () => [],
};
const connect = testServerConnector(() => server, 2000);
const deps: OrderDeps = { prices: () => feed, keys: [KEY], exchanges: () => TEST_EXCHANGES, connect };

async function newUser(): Promise<KillSwitchActor & { username: string }> {
  const user = await registerUser(t.db, { username: `ks-user-${++counter}`, password: 'correct horse battery' });
  return { id: user.id, role: user.role, username: user.username };
}

async function paperAccount(userId: string, usdt = '100000'): Promise<string> {
  return (
    await createAccount(
      t.db,
      userId,
      { name: `paper ${++counter}`, exchange: 'paper', balances: { USDT: usdt, BTC: '0' }, feeRate: '0.001', slippage: '0' },
      {},
      deps,
    )
  ).id;
}

async function simulatedDeployment(userId: string, accountId: string) {
  const s = await createDeployableStrategy(t.db, userId, {
    name: `ks ${++counter}`,
    type: 'dca',
    params: { intervalBars: 1, amountPerBuy: 100 },
    exchange: 'binance',
    symbol: 'BTC/USDT',
    timeframe: '1h',
  });
  return {
    strategyId: s.id,
    deployment: await createDeployment(t.db, userId, s.id, { accountId, mode: 'paper', feed: { type: 'simulated', speed: 3600 } }, deps),
  };
}

const marketBuy = (accountId: string, quantity = '0.01'): PlaceOrderInput => ({ accountId, symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity });
const restingBuy = (accountId: string): PlaceOrderInput => ({ accountId, symbol: 'BTC/USDT', side: 'buy', type: 'limit', quantity: '0.01', price: '50' });

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, 'the call must be refused').toBeInstanceOf(AppError);
  return error as AppError;
}

beforeAll(async () => {
  t = await createTestDatabase();
  server = await new BinanceTestServer({ balances: { USDT: '100000', BTC: '10' } }).start();
  clearMarketCache();
  admin = await newUser();
  expect(admin.role, 'the first account is the admin').toBe('admin');
}, 60_000);

afterAll(async () => {
  await server?.close();
  await t?.destroy();
});

describe('the latch', () => {
  it('engaged (one tap, no reason): manual paper orders are refused with 409 naming it, deployments are paused and cannot be resumed or deployed, open orders are canceled; released: orders work again', async () => {
    const user = await newUser();
    const accountId = await paperAccount(user.id);
    const { deployment } = await simulatedDeployment(user.id, accountId);
    const resting = await placeOrder(t.db, user.id, restingBuy(accountId), deps);
    expect(resting.order.status).toBe('open');

    const engaged = await engageKillSwitch(t.db, user, {}, deps);
    expect(engaged).toMatchObject({ alreadyEngaged: false, pausedDeployments: 1, canceledOrders: 1, failures: [] });
    expect(engaged.state).toMatchObject({ engaged: true, scope: 'user', by: user.username, reason: null, canRelease: true });

    const refused = await refusal(placeOrder(t.db, user.id, marketBuy(accountId), deps));
    expect(refused.code).toBe('CONFLICT');
    expect(refused.message).toMatch(/^the kill switch is engaged \(since \d{4}-\d\d-\d\dT[\d:.]+Z, by ks-user-\d+\): release it to trade$/);
    expect(await t.db.$count(orders, eq(orders.accountId, accountId)), 'a refused order writes nothing').toBe(1);
    expect((await getOrder(t.db, user.id, resting.order.id)).status).toBe('canceled');
    const paused = await getDeployment(t.db, user.id, deployment.id);
    expect(paused).toMatchObject({ state: 'paused', stateReason: 'kill switch' });
    expect((await refusal(resumeDeployment(t.db, user.id, deployment.id))).message).toContain('the kill switch is engaged');
    const other = await createDeployableStrategy(t.db, user.id, {
      name: `ks ${++counter}`,
      type: 'dca',
      params: { intervalBars: 1, amountPerBuy: 100 },
      exchange: 'binance',
      symbol: 'BTC/USDT',
      timeframe: '1h',
    });
    expect((await refusal(createDeployment(t.db, user.id, other.id, { accountId, mode: 'paper', feed: { type: 'simulated' } }, deps))).code).toBe('CONFLICT');
    expect((await engageKillSwitch(t.db, user, { reason: 'again' }, deps)).alreadyEngaged, 'a second engage changes nothing').toBe(true);

    const released = await releaseKillSwitch(t.db, user);
    expect(released).toMatchObject({ released: true, state: { engaged: false, latches: [] } });
    expect((await placeOrder(t.db, user.id, marketBuy(accountId), deps)).order.status).toBe('filled');
    expect((await getDeployment(t.db, user.id, deployment.id)).state, 'deployments stay paused after the release').toBe('paused');
    expect((await resumeDeployment(t.db, user.id, deployment.id)).state).toBe('running');
    await releaseKillSwitch(t.db, user).then((r) => expect(r.released, 'releasing a released latch is a no-op').toBe(false));

    const audit = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.userId, user.id), inArray(auditEvents.type, ['kill_switch.activated', 'kill_switch.released'])));
    expect(audit.map((a) => a.type)).toEqual(['kill_switch.activated', 'kill_switch.released']);
    expect(audit[0]!.details).toMatchObject({ scope: 'user', reason: null, pausedDeployments: 1, canceledOrders: 1 });
    const raised = await t.db
      .select()
      .from(alerts)
      .where(and(eq(alerts.userId, user.id), eq(alerts.kind, 'kill_switch')));
    expect(raised.map((a) => a.severity)).toEqual(['critical', 'info']);
    await engageKillSwitch(t.db, user, {}, deps); // leave nothing running for the other tests' workers
  });

  it('the reason is optional text of at most 500 characters, shown in the state and the alert', async () => {
    const user = await newUser();
    expect((await refusal(engageKillSwitch(t.db, user, { reason: 'x'.repeat(501) }, deps))).code).toBe('UNPROCESSABLE');
    expect(await t.db.$count(killSwitches, eq(killSwitches.userId, user.id))).toBe(0);
    const { state } = await engageKillSwitch(t.db, user, { reason: '  exchange outage  ' }, deps);
    expect(state.reason).toBe('exchange outage');
    const [alert] = await t.db
      .select()
      .from(alerts)
      .where(and(eq(alerts.userId, user.id), eq(alerts.kind, 'kill_switch')));
    expect(alert!.message).toContain('Reason: exchange outage');
    await releaseKillSwitch(t.db, user);
  });

  it('refuses a manual order on a real exchange (the local Binance server) before it is sent, and cancels open exchange orders after the commit', async () => {
    const user = await newUser();
    const account = await createAccount(
      t.db,
      user.id,
      { name: `binance ${++counter}`, exchange: 'binance', credentials: { apiKey: server.apiKey, secret: server.secret } },
      {},
      deps,
    );
    const resting = await placeOrder(
      t.db,
      user.id,
      { accountId: account.id, symbol: 'BTC/USDT', side: 'buy', type: 'limit', quantity: '0.002', price: '20000', clientOrderId: 'cbKSREST0001' },
      deps,
    );
    expect(resting.order.status).toBe('open');

    const engaged = await engageKillSwitch(t.db, user, { reason: 'live drill' }, deps);
    expect(engaged).toMatchObject({ cancelRequested: 1, canceledOrders: 1, failures: [] });
    const canceled = await getOrder(t.db, user.id, resting.order.id);
    expect(canceled.status, 'the exchange confirmed the cancel after the engage committed').toBe('canceled');
    expect(canceled.statusReason).toBe('canceled by the kill switch');
    expect([...server.orders.values()].find((o) => o.clientOrderId === 'cbKSREST0001')?.status).toBe('CANCELED');

    const sentBefore = server.orders.size;
    const refused = await refusal(
      placeOrder(
        t.db,
        user.id,
        { accountId: account.id, symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: '0.001', clientOrderId: 'cbKSLIVE0001' },
        deps,
      ),
    );
    expect(refused.code).toBe('CONFLICT');
    expect(refused.message).toContain('the kill switch is engaged');
    expect(server.orders.size, 'nothing reached the exchange').toBe(sentBefore);
    expect(await t.db.$count(orders, eq(orders.clientOrderId, 'cbKSLIVE0001'))).toBe(0);

    await releaseKillSwitch(t.db, user);
    const after = (
      await placeOrder(
        t.db,
        user.id,
        { accountId: account.id, symbol: 'BTC/USDT', side: 'buy', type: 'limit', quantity: '0.002', price: '20000', clientOrderId: 'cbKSLIVE0002' },
        deps,
      )
    ).order;
    expect(after.status, `${after.statusReason}`).toBe('open');
  });

  it('an exchange cancel not confirmed after the engage stays marked and the reconciler finishes it', async () => {
    const user = await newUser();
    const account = await createAccount(
      t.db,
      user.id,
      { name: `binance ${++counter}`, exchange: 'binance', credentials: { apiKey: server.apiKey, secret: server.secret } },
      {},
      deps,
    );
    const resting = await placeOrder(
      t.db,
      user.id,
      { accountId: account.id, symbol: 'BTC/USDT', side: 'buy', type: 'limit', quantity: '0.002', price: '20000', clientOrderId: 'cbKSRECON001' },
      deps,
    );
    server.failNext({ method: 'DELETE', path: '/api/v3/order' }, faults.serverError());
    const engaged = await engageKillSwitch(t.db, user, {}, deps);
    expect(engaged).toMatchObject({ cancelRequested: 1, canceledOrders: 0 });
    expect(engaged.failures).toEqual([expect.stringContaining('cbKSRECON001')]);
    const [marked] = await t.db.select().from(orders).where(eq(orders.id, resting.order.id));
    expect(marked!.status).toBe('open');
    expect(marked!.cancelRequestedAt, 'marked in the engage').not.toBeNull();

    await reconcileAccount(t.db, account.id, deps);
    const after = await getOrder(t.db, user.id, resting.order.id);
    expect(after.status).toBe('canceled');
    expect(after.statusReason).toContain('canceled by the reconciler');
    await releaseKillSwitch(t.db, user);
  });

  it("refuses a deployment's orders: a runner that still holds a running deployment pauses it and places nothing", async () => {
    const user = await newUser();
    const accountId = await paperAccount(user.id);
    const { deployment } = await simulatedDeployment(user.id, accountId);
    await engageKillSwitch(t.db, user, { reason: 'strategy drill' }, deps);
    // As if a deployment had escaped the engage: running again, claimed by a worker.
    await t.db.update(deployments).set({ state: 'running', leaseOwner: null, leaseExpiresAt: null }).where(eq(deployments.id, deployment.id));
    const [claimed] = (await claimDeployments(t.db, `ks-worker-${counter}`, 1000, 60_000)).filter((r) => r.id === deployment.id);
    const [row] = await t.db.select().from(deployments).where(eq(deployments.id, deployment.id));
    const rt = await loadRuntime(t.db, row!, Number(claimed!.lease_epoch));

    // The order the runner would place, with its fence: refused by the latch first.
    const strategyOrder = await refusal(
      placeOrder(t.db, user.id, { ...marketBuy(accountId), deploymentId: deployment.id, fenceEpoch: rt.epoch, clientOrderId: 'ksDEPLOY0001' }, deps),
    );
    expect(strategyOrder.code).toBe('CONFLICT');
    expect(strategyOrder.message).toContain('the kill switch is engaged');

    const tick = await tickDeployment(t.db, rt, { ...deps, now: () => Date.now() + 48 * 3_600_000 });
    expect(tick.status).toBe('ended');
    expect(tick.orders).toBe(0);
    const after = await getDeployment(t.db, user.id, deployment.id);
    expect(after.state).toBe('paused');
    expect(after.stateReason).toContain('the kill switch is engaged');
    expect(await t.db.$count(orders, eq(orders.deploymentId, deployment.id))).toBe(0);
  });
});

describe('race-free and atomic', () => {
  it('orders racing the engage: none fills after the engage commits, and none is left open behind it', async () => {
    const user = await newUser();
    const accountId = await paperAccount(user.id, '10000000');
    // NOTIFY is delivered in commit order: an order event after the engage's event is an order that committed after it.
    const seen: string[] = [];
    const listener = await t.sql.listen(EVENTS_CHANNEL, (payload) => {
      const event = JSON.parse(payload) as { kind: string; userId: string; status?: string; engaged?: boolean };
      if (event.userId !== user.id) return;
      if (event.kind === 'kill_switch') seen.push(`kill_switch ${event.engaged}`);
      if (event.kind === 'order') seen.push(`order ${event.status}`);
    });
    try {
      const racing: Array<Promise<unknown>> = [];
      for (let i = 0; i < 40; i++)
        racing.push(placeOrder(t.db, user.id, i % 2 === 0 ? marketBuy(accountId) : restingBuy(accountId), deps).catch((e: unknown) => e));
      const engage = engageKillSwitch(t.db, user, { reason: 'race' }, deps);
      for (let i = 0; i < 20; i++)
        racing.push(placeOrder(t.db, user.id, i % 2 === 0 ? marketBuy(accountId) : restingBuy(accountId), deps).catch((e: unknown) => e));
      const results = await Promise.all(racing);
      await engage;
      for (const result of results) {
        if (result instanceof Error)
          expect(result instanceof AppError && result.code === 'CONFLICT' && result.message.includes('kill switch'), `unexpected: ${result.message}`).toBe(
            true,
          );
      }
      await expect.poll(() => seen.includes('kill_switch true')).toBe(true);
      const stored = await t.db.select().from(orders).where(eq(orders.accountId, accountId));
      // Every stored order's final event arrived (canceled ones twice: open, then canceled by the engage).
      await expect.poll(() => seen.filter((s) => s.startsWith('order')).length).toBe(stored.length + stored.filter((o) => o.status === 'canceled').length);
      const afterEngage = seen.slice(seen.indexOf('kill_switch true') + 1);
      expect(
        afterEngage.filter((s) => s === 'order filled'),
        'an order filled after the engage committed',
      ).toEqual([]);
      expect(
        afterEngage.filter((s) => s === 'order open'),
        'an order opened after the engage committed',
      ).toEqual([]);
      expect(
        stored.filter((o) => o.status === 'open'),
        'every resting order was canceled by the engage',
      ).toEqual([]);
      expect(
        results.some((r) => r instanceof AppError),
        'some orders came after the engage',
      ).toBe(true);
    } finally {
      await listener.unlisten();
    }
  }, 60_000);

  it('an order that passed the check before the engage commits before it (forced interleaving)', async () => {
    const user = await newUser();
    const accountId = await paperAccount(user.id);
    const seen: string[] = [];
    const listener = await t.sql.listen(EVENTS_CHANNEL, (payload) => {
      const event = JSON.parse(payload) as { kind: string; userId: string; status?: string; engaged?: boolean };
      if (event.userId === user.id && (event.kind === 'order' || event.kind === 'kill_switch'))
        seen.push(event.kind === 'order' ? `order ${event.status}` : `kill_switch ${event.engaged}`);
    });
    // Hold the account's balance rows: the order's first statement (its check done, its snapshot taken) waits on them.
    const gate = await t.sql.reserve();
    const waiting = async (pattern: string) =>
      Number((await t.sql`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like ${pattern}`)[0]!.n) > 0;
    try {
      await gate`begin`;
      await gate`select 1 from paper_balances where account_id = ${accountId} for update`;
      const order = placeOrder(t.db, user.id, marketBuy(accountId), deps);
      await expect.poll(() => waiting('%insert into orders%'), { message: 'the order waits inside its first statement' }).toBe(true);
      let engaged = false;
      const engage = engageKillSwitch(t.db, user, { reason: 'interleaved' }, deps).finally(() => (engaged = true));
      // The engage either waits for the order's transaction (correct) or finishes under it (the race).
      await expect.poll(async () => engaged || (await waiting('lock table kill_switches%'))).toBe(true);
      await gate`commit`;
      const placed = await order;
      await engage;
      await expect.poll(() => seen.length).toBe(2);
      expect(placed.order.status).toBe('filled');
      expect(seen, 'the fill commits before the engage').toEqual(['order filled', 'kill_switch true']);
    } finally {
      gate.release();
      await listener.unlisten();
    }
  }, 30_000);

  it('a failing step rolls the whole engage back: no latch, deployments running, orders open, no audit entry, no alert', async () => {
    const user = await newUser();
    const accountId = await paperAccount(user.id);
    const { deployment } = await simulatedDeployment(user.id, accountId);
    const resting = await placeOrder(t.db, user.id, restingBuy(accountId), deps);
    // A real failure at the last step (the alert insert), for this user only.
    await t.db.execute(sql.raw(`alter table alerts add constraint ks_fail_${counter} check (kind <> 'kill_switch' or user_id <> '${user.id}')`));
    try {
      const error = await engageKillSwitch(t.db, user, { reason: 'atomic' }, deps).then(
        () => null,
        (e: unknown) => e as Error,
      );
      expect(String((error as { cause?: unknown } | null)?.cause ?? error), 'the alert insert failed').toMatch(/ks_fail/);
    } finally {
      await t.db.execute(sql.raw(`alter table alerts drop constraint ks_fail_${counter}`));
    }
    expect(await t.db.$count(killSwitches, eq(killSwitches.userId, user.id))).toBe(0);
    expect((await getDeployment(t.db, user.id, deployment.id)).state).toBe('running');
    expect((await getOrder(t.db, user.id, resting.order.id)).status).toBe('open');
    expect(await t.db.$count(auditEvents, and(eq(auditEvents.userId, user.id), eq(auditEvents.type, 'kill_switch.activated')))).toBe(0);
    expect((await getKillSwitchState(t.db, user)).engaged).toBe(false);
    // The same engage once the failure is gone does it all.
    expect(await engageKillSwitch(t.db, user, { reason: 'atomic' }, deps)).toMatchObject({ pausedDeployments: 1, canceledOrders: 1 });
  });
});

describe('the global latch', () => {
  it("an admin engages it for everyone: every user's orders are refused and deployments paused; only an admin releases it", async () => {
    const user = await newUser();
    const accountId = await paperAccount(user.id);
    const { deployment } = await simulatedDeployment(user.id, accountId);
    expect((await refusal(engageKillSwitch(t.db, user, { global: true }, deps))).code, 'a user cannot halt everyone').toBe('FORBIDDEN');

    const engaged = await engageKillSwitch(t.db, admin, { global: true, reason: 'exchange hacked' }, deps);
    expect(engaged.state).toMatchObject({ engaged: true, scope: 'global', reason: 'exchange hacked' });
    expect((await getDeployment(t.db, user.id, deployment.id)).state).toBe('paused');
    const refused = await refusal(placeOrder(t.db, user.id, marketBuy(accountId), deps));
    expect(refused.code).toBe('CONFLICT');
    expect(refused.message).toMatch(/^the kill switch is engaged for everyone \(since .+, by ks-user-1\): an admin must release it to trade$/);
    const seenByUser = await getKillSwitchState(t.db, user);
    expect(seenByUser).toMatchObject({ engaged: true, scope: 'global', canRelease: false });
    expect(await t.db.$count(alerts, and(eq(alerts.userId, user.id), eq(alerts.kind, 'kill_switch'))), 'every user is alerted').toBe(1);

    // The user's own latch on top: releasing it leaves the global one.
    await engageKillSwitch(t.db, user, {}, deps);
    await releaseKillSwitch(t.db, user);
    expect((await refusal(placeOrder(t.db, user.id, marketBuy(accountId), deps))).message).toContain('for everyone');
    expect((await refusal(releaseKillSwitch(t.db, user, { global: true }))).code).toBe('FORBIDDEN');

    expect((await releaseKillSwitch(t.db, admin, { global: true })).released).toBe(true);
    expect((await placeOrder(t.db, user.id, marketBuy(accountId), deps)).order.status).toBe('filled');
  });
});
