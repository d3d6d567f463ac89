import { expect, test, type APIRequestContext } from './contract';
import { registerAndToken, seedBtcCandles } from './helpers';

test.beforeAll(seedBtcCandles);

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

async function finished(request: APIRequestContext, url: string, token: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 240; i++) {
    const body = (await (await request.get(url, { headers: auth(token) })).json()) as Record<string, unknown>;
    if (!['queued', 'running'].includes(String(body.status))) return body;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} never finished`);
}

test.describe('REST scripts', () => {
  test('templates, save with diagnostics, private until published, a backtest of a version in the worker', async ({ request }) => {
    const { accessToken } = await registerAndToken(request, 'sc-api');
    const other = await registerAndToken(request, 'sc-other');

    const templates = (await (await request.get('/api/v1/scripts/templates', { headers: auth(accessToken) })).json()) as Array<{
      type: string;
      source: string;
    }>;
    expect(templates.map((t) => t.type).sort()).toEqual(['dca', 'donchian_breakout', 'ema_crossover', 'macd', 'mean_reversion', 'rsi', 'sma_crossover']);
    const one = await request.get('/api/v1/scripts/templates/sma_crossover', { headers: auth(accessToken) });
    expect(one.status()).toBe(200);
    const { source } = (await one.json()) as { source: string };
    expect((await request.get('/api/v1/scripts/templates/nope', { headers: auth(accessToken) })).status()).toBe(404);

    const created = await request.post('/api/v1/scripts', { headers: auth(accessToken), data: { name: 'My SMA' } });
    expect(created.status()).toBe(201);
    const { id, name } = (await created.json()) as { id: string; name: string };
    expect(name).toBe('My SMA');
    expect((await request.post('/api/v1/scripts', { headers: auth(accessToken), data: { name: '' } })).status()).toBe(422);

    const broken = await request.post(`/api/v1/scripts/${id}/versions`, {
      headers: auth(accessToken),
      data: { source: source.replace('const parameters = {', 'const parameters = {{') },
    });
    expect(broken.status()).toBe(422);
    const diagnostics = ((await broken.json()) as { error: { details: { diagnostics: Array<{ line: number; column: number; message: string }> } } }).error
      .details.diagnostics;
    expect(diagnostics[0]).toMatchObject({ line: 3, column: expect.any(Number), message: expect.any(String) });

    const saved = await request.post(`/api/v1/scripts/${id}/versions`, { headers: auth(accessToken), data: { source } });
    expect(saved.status()).toBe(201);
    const version = (await saved.json()) as { version: number; type: string; hash: string; parameters: Record<string, unknown> };
    expect(version).toMatchObject({ version: 1, type: `script:${id}@1`, hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(Object.keys(version.parameters)).toEqual(['fastPeriod', 'slowPeriod']);

    expect((await request.get(`/api/v1/scripts/${id}`, { headers: auth(other.accessToken) })).status(), 'private to its owner').toBe(404);
    expect((await request.post(`/api/v1/scripts/${id}/versions/1/publish`, { headers: auth(accessToken) })).status()).toBe(200);
    const seen = (await (await request.get(`/api/v1/scripts/${id}`, { headers: auth(other.accessToken) })).json()) as { owned: boolean; versions: unknown[] };
    expect(seen).toMatchObject({ owned: false, versions: [{ version: 1 }] });
    const cloned = await request.post(`/api/v1/scripts/${id}/clone`, { headers: auth(other.accessToken) });
    expect(cloned.status()).toBe(201);

    const strategy = await request.post('/api/v1/strategies', {
      headers: auth(accessToken),
      data: { name: 'script SMA', type: version.type, params: { fastPeriod: 5, slowPeriod: 20 }, exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' },
    });
    expect(strategy.status()).toBe(201);
    const strategyId = ((await strategy.json()) as { id: string }).id;

    // The template declares its warm-up (max(fastPeriod, slowPeriod) = 20 bars here): ranges too short for it are refused
    // when asked for, by field, as for the built-in.
    const tooShort = await request.post(`/api/v1/strategies/${strategyId}/bias-check`, {
      headers: auth(accessToken),
      data: { start: '2021-01-01', end: '2021-01-20' },
    });
    expect(tooShort.status(), 'a 456-bar range under the 844 bars the recursive check needs for a 20-bar warm-up').toBe(422);
    expect((await tooShort.json()).error.details.fields[0]).toMatchObject({ field: 'start', message: expect.stringContaining('warm-up of 20 bars') });
    const shortFolds = await request.post('/api/v1/walk-forwards', {
      headers: auth(accessToken),
      data: {
        strategyId,
        start: '2021-01-01T00:00:00Z',
        end: '2021-03-01T00:00:00Z',
        folds: 5,
        space: { slowPeriod: [1000] },
        search: { method: 'grid' },
        objective: 'totalReturn',
      },
    });
    expect(shortFolds.status(), 'windows of a 1,416-bar range under a 1,000-bar warm-up').toBe(422);
    expect((await shortFolds.json()).error.details.fields[0]).toMatchObject({ field: 'folds', message: expect.stringContaining('warm-up of 1000 bars') });
    const backtest = await request.post('/api/v1/backtests', {
      headers: auth(accessToken),
      data: { strategyId, start: '2021-01-01T00:00:00Z', end: '2021-02-01T00:00:00Z' },
    });
    expect(backtest.status()).toBe(202);
    const done = await finished(request, `/api/v1/backtests/${((await backtest.json()) as { id: string }).id}`, accessToken);
    expect(done).toMatchObject({ status: 'completed', scriptHash: version.hash, error: null });
    expect((done.metrics as { tradeCount: number }).tradeCount).toBeGreaterThan(0);

    // A sweep of the version, in the worker's sandbox.
    const sweep = await request.post('/api/v1/sweeps', {
      headers: auth(accessToken),
      data: { strategyId, start: '2021-01-01T00:00:00Z', end: '2021-02-01T00:00:00Z', ranges: { fastPeriod: { values: [5, 8] } } },
    });
    expect(sweep.status(), await sweep.text()).toBe(202);
    const swept = await finished(request, `/api/v1/sweeps/${((await sweep.json()) as { id: string }).id}`, accessToken);
    expect(swept).toMatchObject({ status: 'completed', scriptHash: version.hash, error: null });
    expect((swept.results as unknown[]).length).toBe(2);

    // A paper deployment of the version (the backtest made the strategy deployable), replayed to its end by the worker.
    const account = await request.post('/api/v1/accounts', {
      headers: auth(accessToken),
      data: { name: 'script paper', exchange: 'paper', balances: { USDT: '10000' } },
    });
    expect(account.status()).toBe(201);
    const deployed = await request.post(`/api/v1/strategies/${strategyId}/deployments`, {
      headers: auth(accessToken),
      data: {
        accountId: ((await account.json()) as { id: string }).id,
        mode: 'paper',
        feed: { type: 'replay', start: '2021-03-01T00:00:00Z', speed: 3_600_000 },
      },
    });
    expect(deployed.status(), await deployed.text()).toBe(201);
    const deploymentUrl = `/api/v1/deployments/${((await deployed.json()) as { id: string }).id}`;
    await expect
      .poll(async () => ((await (await request.get(deploymentUrl, { headers: auth(accessToken) })).json()) as { state: string }).state, { timeout: 60_000 })
      .toBe('completed');

    // Its chart draws the script's declared plots, computed by the worker (each request waits a few seconds for them).
    await expect
      .poll(
        async () => {
          const chart = (await (await request.get(`${deploymentUrl}/chart?maxBars=5000`, { headers: auth(accessToken) })).json()) as {
            plotsPending?: boolean;
            plots: Array<{ name: string; values: Array<number | null> }>;
          };
          return chart.plotsPending ? 'pending' : chart.plots.map((p) => `${p.name}:${p.values.filter((v) => v !== null).length > 100}`).join(',');
        },
        { timeout: 60_000 },
      )
      .toBe('fast_ma:true,slow_ma:true');
  });
});
