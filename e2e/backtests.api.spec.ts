import { expect, test, type APIRequestContext } from './contract';
import { registerAndToken, seedBtcCandles } from './helpers';

const START = '2021-01-01T00:00:00Z';
const END = '2021-02-01T00:00:00Z';

test.beforeAll(seedBtcCandles);

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

async function waitFor(request: APIRequestContext, url: string, token: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 120; i++) {
    const response = await request.get(url, { headers: auth(token) });
    const body = (await response.json()) as Record<string, unknown>;
    if (!['queued', 'running'].includes(String(body.status))) return body;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} never finished`);
}

test.describe('REST strategies and backtests', () => {
  test('strategy types, strategy CRUD with 422s naming the parameter, and 404 for another user', async ({ request }) => {
    const { accessToken } = await registerAndToken(request, 'bt-api');
    const other = await registerAndToken(request, 'bt-other');

    const types = await request.get('/api/v1/strategy-types', { headers: auth(accessToken) });
    expect(types.status()).toBe(200);
    const list = (await types.json()) as Array<{
      type: string;
      parameters: Record<string, { type: string; default: unknown; min: number | null; max: number | null; description: string }>;
    }>;
    const sma = list.find((t) => t.type === 'sma_crossover');
    expect(sma?.parameters.fastPeriod, 'each parameter documents its type, default, bounds and meaning').toMatchObject({
      type: 'integer',
      default: 10,
      description: expect.any(String),
    });

    const bad = await request.post('/api/v1/strategies', {
      headers: auth(accessToken),
      data: { name: 'x', type: 'sma_crossover', params: { fastPeriod: 0 }, exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' },
    });
    expect(bad.status()).toBe(422);
    expect((await bad.json()).error.details.fields[0]).toMatchObject({ field: 'params.fastPeriod' });
    const wrongType = await request.post('/api/v1/strategies', {
      headers: auth(accessToken),
      data: { name: 'x', type: 'sma_crossover', params: { fastPeriod: 'fast' }, exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' },
    });
    expect(wrongType.status()).toBe(422);
    expect((await wrongType.json()).error.details.fields[0].field).toBe('params.fastPeriod');
    const badMarket = await request.post('/api/v1/strategies', {
      headers: auth(accessToken),
      data: { name: 'x', type: 'sma_crossover', exchange: 'binance', symbol: 'btc-usdt', timeframe: '7x' },
    });
    expect(badMarket.status()).toBe(422);
    expect(((await badMarket.json()).error.details.fields as Array<{ field: string }>).map((f) => f.field).sort()).toEqual(['symbol', 'timeframe']);

    const created = await request.post('/api/v1/strategies', {
      headers: auth(accessToken),
      data: { name: 'API SMA', type: 'sma_crossover', params: { fastPeriod: 5, slowPeriod: 20 }, exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' },
    });
    expect(created.status()).toBe(201);
    const strategy = await created.json();
    expect(strategy).toMatchObject({
      id: expect.any(String),
      name: 'API SMA',
      type: 'sma_crossover',
      status: 'draft',
      exchange: 'binance',
      symbol: 'BTC/USDT',
      timeframe: '1h',
    });
    expect(strategy.params).toMatchObject({ fastPeriod: 5, slowPeriod: 20 });

    const patched = await request.patch(`/api/v1/strategies/${strategy.id}`, {
      headers: auth(accessToken),
      data: { name: 'Renamed', params: { slowPeriod: 25 } },
    });
    expect(patched.status()).toBe(200);
    expect(await patched.json()).toMatchObject({ name: 'Renamed', params: { fastPeriod: 5, slowPeriod: 25 } });

    for (const call of [
      () => request.get(`/api/v1/strategies/${strategy.id}`, { headers: auth(other.accessToken) }),
      () => request.patch(`/api/v1/strategies/${strategy.id}`, { headers: auth(other.accessToken), data: { name: 'mine now' } }),
      () => request.delete(`/api/v1/strategies/${strategy.id}`, { headers: auth(other.accessToken) }),
      () => request.get('/api/v1/strategies/not-a-uuid', { headers: auth(accessToken) }),
    ]) {
      expect((await call()).status(), "another user's strategy does not exist for them").toBe(404);
    }
    const archived = await request.delete(`/api/v1/strategies/${strategy.id}`, { headers: auth(accessToken) });
    expect(await archived.json()).toMatchObject({ status: 'archived' });
    expect((await request.get('/api/v1/strategies', { headers: auth(accessToken) })).status()).toBe(200);
    expect((await request.get('/api/v1/strategies')).status(), 'no token, no session').toBe(401);
  });

  test('backtest: 202, results with metrics and trades in ISO UTC, 422s for bad money and ranges, 404 across users, cancel', async ({ request }) => {
    const { accessToken } = await registerAndToken(request, 'bt-run');
    const other = await registerAndToken(request, 'bt-run2');
    const strategy = await (
      await request.post('/api/v1/strategies', {
        headers: auth(accessToken),
        data: { name: 'Run', type: 'sma_crossover', params: { fastPeriod: 5, slowPeriod: 20 }, exchange: 'binance', symbol: 'BTC/USDT', timeframe: '1h' },
      })
    ).json();
    const body = { strategyId: strategy.id, start: START, end: Date.parse(END), initialCapital: 10_000, feeRate: 0.001, slippage: 0.0005 };

    for (const [patch, field] of [
      [{ initialCapital: -5 }, 'initialCapital'],
      [{ initialCapital: 'NaN' }, 'initialCapital'],
      [{ feeRate: 2 }, 'feeRate'],
      [{ slippage: -0.1 }, 'slippage'],
      [{ start: 'yesterday' }, 'start'],
      [{ end: START }, 'end'],
    ] as const) {
      const response = await request.post('/api/v1/backtests', { headers: auth(accessToken), data: { ...body, ...patch } });
      expect(response.status(), JSON.stringify(patch)).toBe(422);
      expect(((await response.json()).error.details.fields as Array<{ field: string }>).map((f) => f.field)).toContain(field);
    }
    const noData = await request.post('/api/v1/backtests', { headers: auth(accessToken), data: { ...body, start: '2015-01-01', end: '2015-02-01' } });
    expect(noData.status(), 'no candles in the range is refused up front').toBe(422);
    expect((await noData.json()).error.details.fields[0]).toMatchObject({ field: 'start', message: expect.stringContaining('no binance BTC/USDT 1h candles') });
    expect((await request.post('/api/v1/backtests', { headers: auth(other.accessToken), data: body })).status(), "another user's strategy").toBe(404);

    const queued = await request.post('/api/v1/backtests', { headers: auth(accessToken), data: body });
    expect(queued.status()).toBe(202);
    const { id, status } = await queued.json();
    expect(status).toBe('queued');
    const done = await waitFor(request, `/api/v1/backtests/${id}`, accessToken);
    expect(done.status, String(done.error)).toBe('completed');
    expect(Object.keys(done.metrics as object).sort()).toEqual(
      [
        'averageTradePct',
        'buyAndHoldReturnPct',
        'cagrPct',
        'calmarRatio',
        'exposurePct',
        'maxDrawdownPct',
        'profitFactor',
        'sharpeRatio',
        'sortinoRatio',
        'totalReturnPct',
        'tradeCount',
        'winRatePct',
      ].sort(),
    );
    const trades = done.trades as Array<Record<string, unknown>>;
    expect(trades.length, 'SMA 5/20 trades in a month of BTC').toBeGreaterThan(0);
    expect(trades.length).toBe((done.metrics as { tradeCount: number }).tradeCount);
    expect(trades[0]!.entryTime).toMatch(/^2021-01-\d{2}T\d{2}:00:00\.000Z$/);
    const decimal = expect.stringMatching(/^-?\d+(\.\d+)?$/);
    expect(trades[0], 'prices, quantity, fee and P&L as decimal strings (no float noise, no exponent)').toMatchObject({
      entryPrice: decimal,
      exitPrice: decimal,
      quantity: decimal,
      fee: decimal,
      pnl: decimal,
      pnlPct: decimal,
      exitReason: expect.any(String),
    });

    const listed = await request.get(`/api/v1/backtests?strategyId=${strategy.id}`, { headers: auth(accessToken) });
    expect(((await listed.json()) as Array<{ id: string }>).map((b) => b.id)).toContain(id);
    expect((await request.get(`/api/v1/backtests/${id}`, { headers: auth(other.accessToken) })).status()).toBe(404);
    expect((await request.delete(`/api/v1/backtests/${id}`, { headers: auth(other.accessToken) })).status()).toBe(404);
    expect((await request.get(`/api/v1/backtests?strategyId=${strategy.id}`, { headers: auth(other.accessToken) })).status()).toBe(404);
    expect((await request.delete(`/api/v1/backtests/${id}`, { headers: auth(accessToken) })).status(), 'a finished backtest cannot be canceled').toBe(409);

    const sweep = await request.post('/api/v1/sweeps', {
      headers: auth(accessToken),
      data: { ...body, ranges: { fastPeriod: { min: 5, max: 10, step: 5 }, slowPeriod: { values: [20, 30] } } },
    });
    expect(sweep.status()).toBe(202);
    const sweepDone = await waitFor(request, `/api/v1/sweeps/${(await sweep.json()).id}`, accessToken);
    expect(sweepDone.status, String(sweepDone.error)).toBe('completed');
    expect((sweepDone.results as unknown[]).length).toBe(4);
    const badRange = await request.post('/api/v1/sweeps', {
      headers: auth(accessToken),
      data: { ...body, ranges: { fastPeriod: { min: 0, max: 3, step: 1 } } },
    });
    expect(badRange.status()).toBe(422);
    expect((await badRange.json()).error.details.fields[0].field).toBe('ranges.fastPeriod');
  });
});
