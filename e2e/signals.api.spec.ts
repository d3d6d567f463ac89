import { expect, test, type APIRequestContext } from './contract';
import { registerAndToken, seedBtcCandles } from './helpers';

test.beforeAll(seedBtcCandles);

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

/** A signal deployment on a fresh paper account, with its secret. */
async function signalDeployment(request: APIRequestContext, token: string, name: string): Promise<{ deploymentId: string; secret: string }> {
  const account = await request.post('/api/v1/accounts', { headers: auth(token), data: { name, exchange: 'paper', balances: { USDT: '10000' } } });
  expect(account.status(), await account.text()).toBe(201);
  const strategy = await request.post('/api/v1/strategies', {
    headers: auth(token),
    data: { name, type: 'signal', params: { positionSizePct: 10 }, exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' },
  });
  expect(strategy.status(), await strategy.text()).toBe(201);
  const deployed = await request.post(`/api/v1/strategies/${(await strategy.json()).id}/deployments`, {
    headers: auth(token),
    data: { accountId: (await account.json()).id, mode: 'paper' },
  });
  expect(deployed.status(), `a signal strategy deploys without a backtest: ${await deployed.text()}`).toBe(201);
  const deploymentId = (await deployed.json()).id as string;
  const secret = await request.post(`/api/v1/deployments/${deploymentId}/signal-secret`, { headers: auth(token) });
  expect(secret.status()).toBe(201);
  return { deploymentId, secret: (await secret.json()).secret as string };
}

test.describe('REST signal webhooks', () => {
  test('a signal through the header and through the path places one paper order each; duplicates, bad bodies, wrong secrets and other users are answered', async ({
    request,
  }) => {
    const { accessToken: token } = await registerAndToken(request, 'sig-api');
    const other = await registerAndToken(request, 'sig-other');
    const { deploymentId, secret } = await signalDeployment(request, token, 'webhook desk');
    const webhook = `/api/v1/signals/${deploymentId}`;

    const buy = await request.post(webhook, {
      headers: { 'x-cryptobot-signal-secret': secret },
      data: { action: 'buy', symbol: 'BTCUSDT', id: 'tv-1', time: new Date().toISOString() },
    });
    expect(buy.status(), await buy.text()).toBe(201);
    const bought = (await buy.json()) as { signal: { outcome: string; orderId: string; orderStatus: string }; duplicate: boolean };
    expect(bought.signal).toMatchObject({ outcome: 'executed', orderStatus: 'filled' });

    const again = await request.post(webhook, { headers: { 'x-cryptobot-signal-secret': secret }, data: { action: 'buy', symbol: 'BTCUSDT', id: 'tv-1' } });
    expect(again.status(), 'a duplicate answers its first outcome').toBe(200);
    expect(await again.json()).toMatchObject({ duplicate: true, signal: { orderId: bought.signal.orderId } });

    // TradingView: the secret in the path, the JSON message sent as text/plain.
    const exit = await request.post(`${webhook}/${secret}`, {
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      data: JSON.stringify({ action: 'exit', symbol: 'BINANCE:BTCUSDT', id: 'tv-2' }),
    });
    expect(exit.status(), await exit.text()).toBe(201);

    const bad = await request.post(webhook, { headers: { 'x-cryptobot-signal-secret': secret }, data: { action: 'short', symbol: 'BTCUSDT', id: 'tv-3' } });
    expect(bad.status()).toBe(422);
    expect((await bad.json()).error.details.fields[0].field).toBe('action');
    const stale = await request.post(webhook, {
      headers: { 'x-cryptobot-signal-secret': secret },
      data: { action: 'buy', symbol: 'BTCUSDT', id: 'tv-4', time: Date.now() - 3_600_000 },
    });
    expect(stale.status()).toBe(422);
    expect((await stale.json()).error.details.fields[0].field).toBe('time');
    const notJson = await request.post(`${webhook}/${secret}`, { headers: { 'content-type': 'text/plain' }, data: 'buy BTC now' });
    expect(notJson.status()).toBe(400);
    const nothing = await request.post(webhook, { headers: { 'x-cryptobot-signal-secret': secret }, data: { action: 'sell', symbol: 'BTCUSDT', id: 'tv-5' } });
    expect(nothing.status(), 'nothing left to sell after the exit').toBe(409);

    for (const [url, headers] of [
      [webhook, { 'x-cryptobot-signal-secret': 'wrong' }],
      [webhook, {}],
      [`${webhook}/wrong`, {}],
      [`/api/v1/signals/00000000-0000-4000-8000-000000000000/${secret}`, {}],
    ] as const) {
      const refused = await request.post(url, { headers, data: { action: 'buy', symbol: 'BTCUSDT', id: 'x' } });
      expect(refused.status(), url).toBe(401);
      expect(JSON.stringify(await refused.json())).not.toContain(secret);
    }

    const listed = await request.get(`/api/v1/deployments/${deploymentId}/signals`, { headers: auth(token) });
    expect(listed.status()).toBe(200);
    const view = (await listed.json()) as { path: string; secret: { prefix: string }; signals: { outcome: string; signalId: string | null }[] };
    expect(view.path).toBe(webhook);
    expect(view.secret.prefix).toBe(secret.slice(0, 6));
    expect(view.signals.map((s) => s.outcome)).toEqual(['refused', 'invalid', 'invalid', 'invalid', 'executed', 'executed']);
    expect(JSON.stringify(view)).not.toContain(secret);

    const orders = await request.get(`/api/v1/orders?deploymentId=${deploymentId}`, { headers: auth(token) });
    const items = ((await orders.json()) as { orders: { side: string }[] }).orders;
    expect(items.map((o) => o.side).sort(), 'one order per executed signal').toEqual(['buy', 'sell']);

    expect((await request.get(`/api/v1/deployments/${deploymentId}/signals`, { headers: auth(other.accessToken) })).status()).toBe(404);
    expect((await request.post(`/api/v1/deployments/${deploymentId}/signal-secret`, { headers: auth(other.accessToken) })).status()).toBe(404);
  });
});
