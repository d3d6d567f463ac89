import { expect, test, type APIRequestContext } from './contract';
import { registerAndToken, seedBtcCandles } from './helpers';

test.beforeAll(seedBtcCandles);

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

async function backtestedStrategy(
  request: APIRequestContext,
  token: string,
  name: string,
  params: Record<string, unknown> = { intervalBars: 1, amountPerBuy: 100 },
): Promise<string> {
  const created = await request.post('/api/v1/strategies', {
    headers: auth(token),
    data: { name, type: 'dca', params, exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' },
  });
  expect(created.status(), await created.text()).toBe(201);
  const strategyId = (await created.json()).id as string;
  const backtest = await request.post('/api/v1/backtests', {
    headers: auth(token),
    data: { strategyId, start: '2021-01-01T00:00:00Z', end: '2021-01-10T00:00:00Z', initialCapital: 10000, feeRate: 0.001, slippage: 0.0005 },
  });
  expect(backtest.status()).toBe(202);
  const backtestId = (await backtest.json()).id as string;
  await expect
    .poll(async () => (await (await request.get(`/api/v1/backtests/${backtestId}`, { headers: auth(token) })).json()).status, { timeout: 60_000 })
    .toBe('completed');
  return strategyId;
}

async function paperAccount(request: APIRequestContext, token: string, name: string): Promise<string> {
  const account = await request.post('/api/v1/accounts', { headers: auth(token), data: { name, exchange: 'paper', balances: { USDT: '10000' } } });
  expect(account.status(), await account.text()).toBe(201);
  return (await account.json()).id as string;
}

test.describe('REST deployments, kill switch and alerts', () => {
  test('deploy on a fast replay, watch it trade, pause, resume, stop closing the position; 422s name the field; another user gets 404', async ({ request }) => {
    const { accessToken: token } = await registerAndToken(request, 'dep-api');
    const other = await registerAndToken(request, 'dep-other');
    const accountId = await paperAccount(request, token, 'paper main');

    const draft = await request.post('/api/v1/strategies', {
      headers: auth(token),
      data: { name: 'draft', type: 'rsi', exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' },
    });
    const draftId = (await draft.json()).id as string;
    const refused = await request.post(`/api/v1/strategies/${draftId}/deployments`, { headers: auth(token), data: { accountId, mode: 'paper' } });
    expect(refused.status()).toBe(409);
    expect((await refused.json()).error.message).toMatch(/backtest/);

    const strategyId = await backtestedStrategy(request, token, 'dca replay');
    const url = `/api/v1/strategies/${strategyId}/deployments`;
    for (const [data, field] of [
      [{ accountId, mode: 'sideways' }, 'mode'],
      [{ accountId, mode: 'paper', feed: { type: 'replay', speed: 0 } }, 'feed.speed'],
      [{ accountId, mode: 'paper', feed: { type: 'replay', start: '2030-01-01T00:00:00Z' } }, 'feed.start'],
      [{ accountId, mode: 'paper', capitalQuote: '99999' }, 'capitalQuote'],
      [{ accountId, mode: 'live', maxPositionQuote: '100' }, 'accountId'],
      [{ mode: 'paper' }, 'accountId'],
    ] as const) {
      const response = await request.post(url, { headers: auth(token), data });
      expect(response.status(), JSON.stringify(data)).toBe(422);
      expect(((await response.json()).error.details.fields as Array<{ field: string }>).map((f) => f.field)).toContain(field);
    }
    const notJson = await request.post(url, { headers: { ...auth(token), 'content-type': 'text/plain' }, data: 'mode=paper' });
    expect(notJson.status(), 'not JSON: 415').toBe(415);

    // 2021-03-25 → 2021-04-01: about 170 hourly candles, played at 7,200× (one candle per 0.5 s).
    const created = await request.post(url, {
      headers: auth(token),
      data: { accountId, mode: 'paper', feed: { type: 'replay', start: '2021-03-25T00:00:00Z', speed: 7200 } },
    });
    expect(created.status(), await created.text()).toBe(201);
    const deployment = await created.json();
    expect(deployment).toMatchObject({
      id: expect.any(String),
      state: 'running',
      mode: 'paper',
      feed: { type: 'replay', start: '2021-03-25T00:00:00.000Z', speed: 7200 },
    });
    const again = await request.post(url, { headers: auth(token), data: { accountId, mode: 'paper', feed: { type: 'simulated' } } });
    expect(again.status(), 'one active deployment per strategy').toBe(409);

    const orders = async () =>
      (await (await request.get(`/api/v1/orders?deploymentId=${deployment.id}`, { headers: auth(token) })).json()).orders as Array<{
        status: string;
        side: string;
        priceSource: string;
      }>;
    await expect.poll(async () => (await orders()).filter((o) => o.status === 'filled').length, { timeout: 60_000 }).toBeGreaterThanOrEqual(3);
    expect((await orders())[0]!.priceSource).toBe('replay binance 1h');
    const running = await (await request.get(`/api/v1/deployments/${deployment.id}`, { headers: auth(token) })).json();
    expect(running.lastBarTime).not.toBeNull();
    expect(running.lastDecision.decision).toMatch(/^(enter|exit|hold)$/);
    expect(Number(running.position.quantity)).toBeGreaterThan(0);
    const curve = await (await request.get(`/api/v1/deployments/${deployment.id}/equity`, { headers: auth(token) })).json();
    expect(curve).toMatchObject({ deploymentId: deployment.id, currency: 'USDT', stepSeconds: 3600 });
    const times = (curve.points as Array<{ time: string }>).map((p) => Date.parse(p.time));
    expect(times[0], 'from the feed start').toBe(Date.parse('2021-03-25T00:00:00Z'));
    expect(times.length, 'bar closes up to the last processed bar').toBeGreaterThanOrEqual(3);
    expect(
      times.every((time, i) => i === 0 || time > times[i - 1]!),
      'in time order',
    ).toBe(true);
    expect(
      curve.points.every((p: { equity: string }) => /^\d+(\.\d+)?$/.test(p.equity)),
      'exact decimal strings',
    ).toBe(true);

    const paused = await request.post(`/api/v1/deployments/${deployment.id}/pause`, { headers: auth(token) });
    expect(paused.status()).toBe(200);
    expect((await paused.json()).state).toBe('paused');
    const countAfterPause = (await orders()).length;
    await new Promise((r) => setTimeout(r, 1500));
    expect((await orders()).length, 'a paused deployment places nothing').toBe(countAfterPause);
    expect((await (await request.post(`/api/v1/deployments/${deployment.id}/resume`, { headers: auth(token) })).json()).state).toBe('running');

    for (const call of [
      () => request.get(`/api/v1/deployments/${deployment.id}`, { headers: auth(other.accessToken) }),
      () => request.get(`/api/v1/deployments/${deployment.id}/equity`, { headers: auth(other.accessToken) }),
      () => request.post(`/api/v1/deployments/${deployment.id}/pause`, { headers: auth(other.accessToken) }),
      () => request.post(`/api/v1/deployments/${deployment.id}/stop`, { headers: auth(other.accessToken) }),
      () => request.post(`/api/v1/strategies/${strategyId}/deployments`, { headers: auth(other.accessToken), data: { accountId, mode: 'paper' } }),
    ]) {
      expect((await call()).status(), "another user's deployment does not exist for them").toBe(404);
    }
    expect(((await (await request.get('/api/v1/deployments', { headers: auth(other.accessToken) })).json()).deployments as unknown[]).length).toBe(0);

    const stopped = await request.post(`/api/v1/deployments/${deployment.id}/stop`, { headers: auth(token), data: { closePosition: true } });
    expect(stopped.status(), await stopped.text()).toBe(200);
    const stop = await stopped.json();
    expect(stop.deployment.state).toBe('stopped');
    expect(stop.closeOrderId).toEqual(expect.any(String));
    expect(Number(stop.deployment.position.quantity)).toBe(0);
    const close = await (await request.get(`/api/v1/orders/${stop.closeOrderId}`, { headers: auth(token) })).json();
    expect(close).toMatchObject({ side: 'sell', status: 'filled' });
    expect((await request.post(`/api/v1/deployments/${deployment.id}/resume`, { headers: auth(token) })).status()).toBe(409);

    const listed = (await (await request.get(`/api/v1/deployments?strategyId=${strategyId}`, { headers: auth(token) })).json()).deployments as Array<{
      id: string;
      state: string;
    }>;
    expect(listed.map((d) => [d.id, d.state])).toEqual([[deployment.id, 'stopped']]);
  });

  test('the kill switch pauses every running deployment and cancels open orders; alerts record it', async ({ request }) => {
    const { accessToken: token } = await registerAndToken(request, 'kill-api');
    const accountId = await paperAccount(request, token, 'paper kill');
    const ids: string[] = [];
    for (const name of ['kill a', 'kill b']) {
      const strategyId = await backtestedStrategy(request, token, name);
      const created = await request.post(`/api/v1/strategies/${strategyId}/deployments`, {
        headers: auth(token),
        data: { accountId, mode: 'paper', feed: { type: 'simulated' } },
      });
      expect(created.status()).toBe(201);
      ids.push((await created.json()).id);
    }
    const resting = await request.post('/api/v1/orders', {
      headers: auth(token),
      data: { accountId, symbol: 'BTC/USDT', side: 'buy', type: 'limit', quantity: '0.01', price: '1000' },
    });
    expect(resting.status()).toBe(201);
    const restingId = (await resting.json()).id as string;

    const tooLong = await request.post('/api/v1/kill-switch', { headers: auth(token), data: { reason: 'x'.repeat(501) } });
    expect(tooLong.status()).toBe(422);
    expect((await tooLong.json()).error.details.fields[0].field).toBe('reason');
    const killed = await request.post('/api/v1/kill-switch', { headers: auth(token), data: { reason: 'e2e emergency' } });
    expect(killed.status()).toBe(200);
    expect(await killed.json()).toMatchObject({
      pausedDeployments: 2,
      canceledOrders: 1,
      failures: [],
      state: { engaged: true, scope: 'user', reason: 'e2e emergency' },
    });
    expect(await (await request.get('/api/v1/kill-switch', { headers: auth(token) })).json()).toMatchObject({
      engaged: true,
      scope: 'user',
      reason: 'e2e emergency',
      canRelease: true,
    });
    const refused = await request.post('/api/v1/orders', {
      headers: auth(token),
      data: { accountId, symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: '0.01' },
    });
    expect(refused.status(), 'a new order while engaged').toBe(409);
    expect((await refused.json()).error.message).toMatch(/^the kill switch is engaged \(since .+, by kill-api-.+\): release it to trade$/);
    expect((await request.post(`/api/v1/deployments/${ids[0]}/resume`, { headers: auth(token) })).status(), 'no resume while engaged').toBe(409);
    expect((await request.post('/api/v1/kill-switch', { headers: auth(token), data: { global: true } })).status(), 'the global latch needs an admin').toBe(403);
    for (const id of ids) {
      const view = await (await request.get(`/api/v1/deployments/${id}`, { headers: auth(token) })).json();
      expect(view).toMatchObject({ state: 'paused', stateReason: 'kill switch: e2e emergency' });
    }
    expect((await (await request.get(`/api/v1/orders/${restingId}`, { headers: auth(token) })).json()).status).toBe('canceled');
    const alerts = (await (await request.get('/api/v1/alerts?unacknowledged=true', { headers: auth(token) })).json()).alerts as Array<{
      id: number;
      kind: string;
      severity: string;
      message: string;
    }>;
    const alert = alerts.find((a) => a.kind === 'kill_switch')!;
    expect(alert).toMatchObject({ severity: 'critical', message: expect.stringContaining('e2e emergency') });
    const acked = await request.post(`/api/v1/alerts/${alert.id}/acknowledge`, { headers: auth(token) });
    expect((await acked.json()).acknowledgedAt).not.toBeNull();
    const other = await registerAndToken(request, 'kill-other');
    expect((await request.post(`/api/v1/alerts/${alert.id}/acknowledge`, { headers: auth(other.accessToken) })).status()).toBe(404);
    expect(
      (
        await request.post('/api/v1/orders', {
          headers: auth(other.accessToken),
          data: { accountId: await paperAccount(request, other.accessToken, 'paper other'), symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: '0.01' },
        })
      ).status(),
      "another user's latch does not halt this one",
    ).toBe(201);

    const released = await request.delete('/api/v1/kill-switch', { headers: auth(token) });
    expect(released.status()).toBe(200);
    expect(await released.json()).toMatchObject({ released: true, state: { engaged: false } });
    expect((await request.post('/api/v1/kill-switch/release', { headers: auth(token) })).status(), 'releasing again is a no-op').toBe(200);
    const after = await request.post('/api/v1/orders', {
      headers: auth(token),
      data: { accountId, symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: '0.01' },
    });
    expect(after.status(), await after.text()).toBe(201);
  });
});
